"""Start and stop a local anvil chain (the embedded default chain) and derive its accounts.

Used by ``datadao devnet`` and by the integration tests. anvil comes from npm
(``@foundry-rs/anvil-linux-amd64``), installed by ``scripts/setup`` next to the venv's python.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount

from node.errors import ChainError

__all__ = [
    "DEVNET_CHAIN_ID",
    "DEVNET_MNEMONIC",
    "AnvilProcess",
    "devnet_account",
    "find_anvil",
    "free_port",
]

DEVNET_CHAIN_ID = 31337
"""anvil's chain id: the only chain on which the public devnet keys are accepted."""
DEVNET_MNEMONIC = "test test test test test test test test test test test junk"
"""anvil's public default mnemonic. Devnet only: these keys are known to everyone."""


def devnet_account(index: int, mnemonic: str = DEVNET_MNEMONIC) -> LocalAccount:
    """The ``index``-th account anvil funds (BIP-44 path m/44'/60'/0'/0/index)."""
    Account.enable_unaudited_hdwallet_features()
    account: LocalAccount = Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}")
    return account


_EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")


def free_port() -> int:
    """A loopback port free now, for a service started later (anvil, a share service).

    Drawn below the kernel's ephemeral range when there is room: a port from bind(0) comes
    from that range, which every outgoing connection also draws from, so in the seconds
    between choosing it and the service binding it a client socket could take it (seen: a
    share service failing with "address already in use" during a parallel test run)."""
    try:
        first_ephemeral = int(_EPHEMERAL.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        first_ephemeral = 0
    if first_ephemeral > 11_000:
        rng = random.SystemRandom()
        for _ in range(64):
            port = rng.randint(10_000, first_ephemeral - 1)
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        chosen: int = s.getsockname()[1]
        return chosen


def find_anvil() -> str:
    """Path to the anvil binary: next to this interpreter (the venv), then PATH."""
    beside = Path(sys.executable).parent / "anvil"
    if beside.exists():
        return str(beside)
    found = shutil.which("anvil")
    if found is None:
        raise ChainError("anvil not found: run scripts/setup (it installs Foundry from npm)")
    return found


@dataclass
class AnvilProcess:
    """One anvil on 127.0.0.1. ``detach=True`` lets it outlive this Python process (devnet)."""

    port: int = field(default_factory=free_port)
    accounts: int = 20
    chain_id: int = DEVNET_CHAIN_ID
    block_time: float | None = None
    state_path: Path | None = None
    log_path: Path | None = None
    detach: bool = False
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 20.0) -> AnvilProcess:
        args = [
            find_anvil(),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--accounts", str(self.accounts),
            "--chain-id", str(self.chain_id),
            "--hardfork", "prague",
            "--mnemonic", DEVNET_MNEMONIC,
            "--balance", "1000000",
        ]  # fmt: skip
        if self.block_time is not None:
            args += ["--block-time", str(self.block_time)]
        if self.state_path is not None:
            args += ["--state", str(self.state_path)]
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            args,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=self.detach,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ChainError(
                    f"anvil exited with code {self.proc.returncode} on port {self.port}"
                )
            if rpc_ready(self.url):
                return self
            time.sleep(0.05)
        self.stop()
        raise ChainError(f"anvil did not answer on {self.url} within {timeout_s:.0f}s")

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)  # lets anvil dump --state before exiting
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise ChainError("anvil is not started")
        return self.proc.pid


def rpc_ready(url: str) -> bool:
    try:
        r = requests.post(
            url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=1
        )
        return r.ok
    except requests.RequestException:
        return False


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
