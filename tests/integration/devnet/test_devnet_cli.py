"""`datadao devnet` as a user runs it: a subprocess per command, its own DATADAO_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from eth_account import Account

from node.chain.anvil import AnvilProcess, devnet_account
from node.chain.deployment import Deployment

pytestmark = pytest.mark.integration

DATADAO = [sys.executable, "-m", "node.cli"]


def run(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "DATADAO_HOME": str(home), **(env or {})}
    return subprocess.run(
        [*DATADAO, *args], env=full_env, capture_output=True, text=True, timeout=300, check=False
    )


def test_up_status_idempotent_down(tmp_path: Path) -> None:
    t0 = time.monotonic()
    up = run(tmp_path, "devnet", "up", "--no-run-validators")
    took = time.monotonic() - t0
    assert up.returncode == 0, up.stderr
    # measured, not asserted (timing depends on the machine's load): see scripts/bench/chain.py
    print(f"\ndevnet up took {took:.1f}s")  # noqa: T201 - reported
    deployment = Deployment.load(tmp_path / "devnet" / "deployment.json")
    status = run(tmp_path, "devnet", "status")
    assert status.returncode == 0
    for address in deployment.addresses.values():
        assert address in status.stdout
    assert "ACTIVE" in status.stdout
    assert "none started by `devnet up`" in status.stdout
    again = run(tmp_path, "devnet", "up", "--no-run-validators")
    assert again.returncode == 0
    assert "already running" in again.stdout
    down = run(tmp_path, "devnet", "down")
    assert "stopped anvil" in down.stdout
    assert (tmp_path / "devnet" / "deployment.json").exists(), "down must keep the deployment"
    stopped = run(tmp_path, "devnet", "status")
    assert "DOWN" in stopped.stdout
    assert stopped.returncode == 5, "a chain error: the devnet's RPC does not answer"
    assert "devnet is DOWN" in stopped.stderr
    wiped = run(tmp_path, "devnet", "down", "--wipe")
    assert wiped.returncode == 0
    assert not (tmp_path / "devnet").exists()


def test_rpc_mode_refuses_without_a_deployer_key(tmp_path: Path) -> None:
    result = run(tmp_path, "devnet", "up", "--rpc", "http://127.0.0.1:9")
    assert result.returncode == 3  # a configuration error (node/cli/exit_codes.py)
    assert "funded deployer key" in result.stderr


def test_rpc_mode_deploys_onto_an_existing_chain(tmp_path: Path) -> None:
    chain = AnvilProcess().start()
    try:
        deployer = devnet_account(15)
        keystore = tmp_path / "deployer.json"
        keystore.write_text(json.dumps(Account.encrypt(deployer.key, "pw")))
        env = {"DATADAO_KEYSTORE": str(keystore), "DATADAO_KEYSTORE_PASSWORD": "pw"}
        result = run(
            tmp_path,
            "devnet",
            "up",
            "--rpc",
            chain.url,
            "--contributors",
            "1",
            "--no-run-validators",
            env=env,
        )
        assert result.returncode == 0, result.stderr
        deployment = Deployment.load(tmp_path / "devnet" / "deployment.json")
        assert deployment.rpc_url == chain.url
        assert deployment.extra["anvil_pid"] is None, "--rpc must not start or own an anvil"
        assert "pw" not in result.stdout + result.stderr
        down = run(tmp_path, "devnet", "down")
        assert "no running devnet anvil" in down.stdout  # never stops a chain it did not start
        assert chain.proc is not None
        assert chain.proc.poll() is None
    finally:
        chain.stop()


@pytest.mark.parametrize("platform", ["chatgpt", "reddit", "twitter", "telegram"])
def test_sample_export_is_parsed_by_inspect(tmp_path: Path, platform: str) -> None:
    out = tmp_path / f"{platform}.zip"
    made = run(tmp_path, "devnet", "sample-export", platform, str(out), "--seed", "7")
    assert made.returncode == 0, made.stderr
    shown = run(tmp_path, "inspect", str(out), "--json")
    assert shown.returncode == 0, shown.stderr
    summary = json.loads(shown.stdout)
    assert summary["platform"] == platform
    assert summary["records"] > 0
