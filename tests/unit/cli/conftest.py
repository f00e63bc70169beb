"""A node home whose deployment file points at a closed port: the chain is down, nothing else."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from node.chain.deployment import CONTRACTS


def write_deployment(path: Path, rpc_url: str) -> None:
    """A deployment file with made-up addresses: nothing is deployed, nothing answers."""
    addresses = {name: f"0x{i + 1:040x}" for i, name in enumerate(CONTRACTS)}
    path.write_text(json.dumps({"chain_id": 31337, "rpc_url": rpc_url, "addresses": addresses}))


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """``DATADAO_*`` pointing at a fresh home and a deployment whose RPC is a closed port (its
    URL is the fixture's value).

    The chain client's retry back-off sleeps are skipped (it retries a refused connection five
    times, about 9 s, before giving up), so these tests stay quick; the subprocess test keeps
    them."""
    home = tmp_path / "home"
    rpc_url = f"http://127.0.0.1:{closed_port()}"
    deployment = tmp_path / "deployment.json"
    write_deployment(deployment, rpc_url)
    env = {
        "DATADAO_HOME": str(home),
        "DATADAO_DEPLOYMENT_FILE": str(deployment),
        "DATADAO_CONFIG": str(tmp_path / "no-config.toml"),
        "DATADAO_RPC_URL": rpc_url,
    }
    for name in [n for n in os.environ if n.startswith("DATADAO_")]:
        monkeypatch.delenv(name)  # nothing of the caller's (a keystore, a Kubo URL) leaks in
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("node.chain.client.time.sleep", lambda _s: None)
    return rpc_url
