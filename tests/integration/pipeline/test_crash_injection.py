"""Kill ``datadao contribute`` right after each recorded step (``DATADAO_CRASH_AFTER``), run it
again, and check exactly-once: one registration for the content, one transaction in total, the
row REGISTERED, and no orphaned blocks or staging files."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from web3 import Web3

from node.chain.anvil import devnet_account
from node.chain.registry import SubmissionRegistry
from node.db.models import SubmissionStatus
from node.parsers import ScrubOptions, canonicalize, parse_export, scrub_export
from node.pipeline import CRASH_STEPS
from node.storage import parse_cid
from node.types import DatasetId
from tests.integration.conftest import Devnet
from tests.integration.pipeline.conftest import CONTRIBUTOR_INDEX, NodeHome

pytestmark = pytest.mark.integration

_EXPECTED_AFTER_CRASH = {
    "parsed": SubmissionStatus.PARSED,
    "sealed": SubmissionStatus.SEALED,
    "stored": SubmissionStatus.STORED,
    "signed": SubmissionStatus.SIGNED,
    "sent": SubmissionStatus.SIGNED,
    "registered": SubmissionStatus.REGISTERED,
}


def _registrations(devnet: Devnet, commitment: bytes) -> list[bytes]:
    """File ids of every SubmissionRegistered event for ``commitment`` since deployment."""
    registry = SubmissionRegistry(devnet.chain, devnet.address("SubmissionRegistry"))
    event = registry.contract.events.SubmissionRegistered()
    return [
        bytes(log["args"]["fileId"])
        for log in devnet.chain.events(event, from_block=devnet.deployment.start_block)
        if bytes(log["args"]["contentCommitment"]) == commitment
    ]


def assert_exactly_once(
    devnet: Devnet, node_home: NodeHome, export: Path, *, killed_mid_write: bool = False
) -> None:
    (row,) = node_home.rows()
    assert row.status is SubmissionStatus.REGISTERED, row.failure_reason
    commitment = canonicalize(scrub_export(parse_export(export), ScrubOptions())).commitment
    assert row.content_commitment == "0x" + commitment.hex()
    assert row.file_id is not None
    file_id = bytes.fromhex(row.file_id[2:])
    registry = SubmissionRegistry(devnet.chain, devnet.address("SubmissionRegistry"))
    assert registry.content_submitted(
        DatasetId(devnet.deployment.dataset_id), row.contributor, commitment
    )
    assert _registrations(devnet, commitment) == [file_id]
    record = registry.record(file_id)
    assert (record.cid, "0x" + bytes(record.header_hash).hex()) == (row.cid, row.header_hash)

    # No orphans: the only pinned root is the registered blob, every block is reachable from
    # it (gc finds nothing to remove), and no staging files are left behind. (A SIGKILL in the
    # middle of a block write can leave the blockstore's own staging file; its gc removes it.)
    store = node_home.blockstore()
    assert store.pins() == [parse_cid(row.cid or "").to_v1().encode()]
    if not killed_mid_write:
        assert list((node_home.home / "blocks" / "tmp").iterdir()) == []
    assert store.gc() == 0
    assert list((node_home.home / "sealed").glob("*")) == []


@pytest.mark.parametrize("step", CRASH_STEPS)
def test_crash_after_step_then_rerun_registers_exactly_once(
    devnet: Devnet, snapshot: None, node_home: NodeHome, export_zip: Path, step: str
) -> None:
    w3: Web3 = devnet.chain.w3
    contributor = devnet_account(CONTRIBUTOR_INDEX)
    nonce_before = w3.eth.get_transaction_count(contributor.address)
    args = ("contribute", str(export_zip), "--account-index", str(CONTRIBUTOR_INDEX))

    crashed = node_home.cli(*args, extra_env={"DATADAO_CRASH_AFTER": step})
    assert crashed.returncode == 137, crashed.stdout + crashed.stderr
    (row,) = node_home.rows()
    assert row.status is _EXPECTED_AFTER_CRASH[step]

    resumed = node_home.cli(*args)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert_exactly_once(devnet, node_home, export_zip)
    assert w3.eth.get_transaction_count(contributor.address) == nonce_before + 1

    again = node_home.cli(*args)
    assert again.returncode == 0
    assert "already submitted" in again.stdout
    assert w3.eth.get_transaction_count(contributor.address) == nonce_before + 1


@pytest.mark.parametrize("delay_s", [2.5, 4.0, 5.5])
def test_sigkill_at_an_arbitrary_moment_then_rerun_registers_exactly_once(
    devnet: Devnet, snapshot: None, node_home: NodeHome, tmp_path: Path, delay_s: float
) -> None:
    """Not only at step boundaries: SIGKILL wherever the process happens to be."""
    from node.parsers.synthetic import chatgpt_export

    export = tmp_path / "big.zip"
    chatgpt_export(export, seed=int(delay_s * 10), size_bytes=4_000_000)
    args = ("contribute", str(export), "--account-index", str(CONTRIBUTOR_INDEX))
    proc = subprocess.Popen(
        [sys.executable, "-c", "from node.cli.main import main; main()", *args],
        env=node_home.cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay_s)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    resumed = node_home.cli(*args)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert_exactly_once(devnet, node_home, export, killed_mid_write=True)
