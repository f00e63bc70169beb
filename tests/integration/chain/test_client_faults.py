"""ChainClient against a real anvil: bursts, restarts mid-send, and an unreachable node.

The property under test is exactly-once: whatever the transport does, one logical send is at
most one transaction on chain, and a failure is a clear ChainError, never a silent retry with a
new nonce.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from web3 import Web3

from node.chain.anvil import AnvilProcess, devnet_account
from node.chain.client import ChainClient
from node.chain.errors import ChainUnavailable

pytestmark = pytest.mark.integration

RECIPIENT = devnet_account(7).address


def test_burst_of_sends_gets_consecutive_nonces_and_all_land() -> None:
    anvil = AnvilProcess().start()
    try:
        client = ChainClient.connect(anvil.url, devnet_account(0))
        before = client.w3.eth.get_balance(RECIPIENT)
        pending = [client.transfer_nowait(RECIPIENT, i + 1) for i in range(40)]
        assert [p.nonce for p in pending] == list(range(40))
        receipts = [client.wait(p) for p in pending]
        assert all(r["status"] == 1 for r in receipts)
        assert client.w3.eth.get_balance(RECIPIENT) - before == sum(range(1, 41))
    finally:
        anvil.stop()


def test_node_restarted_mid_send_completes_exactly_once(tmp_path: Path) -> None:
    state = tmp_path / "anvil-state.json"
    anvil = AnvilProcess(state_path=state).start()
    sender = devnet_account(1)
    client = ChainClient.connect(anvil.url, sender, max_retries=8)
    client.transfer(RECIPIENT, 1)  # warm up: nonce tracking now holds 1
    nonce_before = client.w3.eth.get_transaction_count(sender.address)
    balance_before = client.w3.eth.get_balance(RECIPIENT)

    anvil.stop()  # the node dies (and dumps its state) before our broadcast

    def restart() -> None:
        time.sleep(1.0)
        AnvilProcess(port=anvil.port, state_path=state).start()

    restarter = threading.Thread(target=restart)
    restarter.start()
    try:
        # fees and nonce need the node too: the client's bounded retries ride out the restart
        receipt = client.transfer(RECIPIENT, 5)
    finally:
        restarter.join()
    w3 = Web3(Web3.HTTPProvider(anvil.url))
    try:
        assert receipt["status"] == 1
        assert w3.eth.get_transaction_count(sender.address) == nonce_before + 1
        assert w3.eth.get_balance(RECIPIENT) == balance_before + 5
    finally:
        _kill_port(w3)


def test_rebroadcast_of_an_already_accepted_tx_is_not_a_second_tx() -> None:
    anvil = AnvilProcess().start()
    try:
        sender = devnet_account(2)
        client = ChainClient.connect(anvil.url, sender)
        pending = client.transfer_nowait(RECIPIENT, 3)
        client.wait(pending)
        # A retry after a lost response re-sends the very same bytes: the node knows the hash.
        client._broadcast(pending.raw, pending.tx_hash)
        assert client.w3.eth.get_transaction_count(sender.address) == 1
    finally:
        anvil.stop()


def test_unreachable_node_raises_a_clear_error() -> None:
    client = ChainClient.connect(
        "http://127.0.0.1:9", devnet_account(3), max_retries=1, timeout_s=0.5
    )
    with pytest.raises(ChainUnavailable, match="unreachable"):
        client.transfer(RECIPIENT, 1)


def _kill_port(w3: Web3) -> None:
    """Stop the anvil restarted by the test thread (we hold no Popen handle for it)."""
    import os
    import signal
    import subprocess

    port = str(w3.provider.endpoint_uri).rsplit(":", 1)[1]  # type: ignore[attr-defined]
    out = subprocess.run(["pgrep", "-f", f"anvil.*--port {port}"], capture_output=True, text=True)
    for pid in out.stdout.split():
        os.kill(int(pid), signal.SIGINT)
