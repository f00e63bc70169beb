"""``datadao contribute`` end to end on the devnet: what the chain records is what the node
recorded, and a second run sends nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from eth_hash.auto import keccak

from node.chain.anvil import devnet_account
from node.chain.dataset_config import DatasetConfig
from node.chain.registry import SubmissionRegistry
from node.db.models import SubmissionStatus
from node.parsers import ScrubOptions, canonicalize, parse_export, scrub_export
from node.protocol.crypto import read_header
from node.storage import read_blob
from node.types import Cid, DatasetId
from tests.integration.conftest import Devnet
from tests.integration.pipeline.conftest import CONTRIBUTOR_INDEX, NodeHome

pytestmark = pytest.mark.integration


def _unhex(value: str | None) -> bytes:
    assert value is not None
    return bytes.fromhex(value.removeprefix("0x"))


def test_contribute_registers_what_the_database_records_and_rerun_sends_nothing(
    devnet: Devnet, snapshot: None, node_home: NodeHome, export_zip: Path
) -> None:
    contributor = devnet_account(CONTRIBUTOR_INDEX)
    w3 = devnet.chain.w3
    nonce_before = w3.eth.get_transaction_count(contributor.address)

    first = node_home.cli("contribute", str(export_zip), "--account-index", str(CONTRIBUTOR_INDEX))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "submitted: registered in block" in first.stdout
    assert w3.eth.get_transaction_count(contributor.address) == nonce_before + 1

    (row,) = node_home.rows()
    assert row.status is SubmissionStatus.REGISTERED
    assert row.contributor == contributor.address
    file_id = _unhex(row.file_id)

    # The commitment is the one an independent parse of the export gives.
    expected = canonicalize(scrub_export(parse_export(export_zip), ScrubOptions()))
    assert row.content_commitment == "0x" + expected.commitment.hex()
    assert row.records == expected.records

    # The chain's record matches the database, field by field.
    registry = SubmissionRegistry(devnet.chain, devnet.address("SubmissionRegistry"))
    record = registry.record(file_id)
    assert record.contributor == contributor.address
    config = DatasetConfig(devnet.chain, devnet.address("DatasetConfig"))
    assert record.bond == config.submissionBond(DatasetId(devnet.deployment.dataset_id)) > 0
    # v2: the file id is the registry's derivation from the contributor and the header hash
    assert registry.file_id_of(contributor.address, bytes(record.header_hash)) == file_id
    assert record.cid == row.cid
    assert "0x" + bytes(record.header_hash).hex() == row.header_hash
    assert "0x" + bytes(record.content_commitment).hex() == row.content_commitment
    assert record.epoch == row.epoch
    assert registry.content_submitted(
        DatasetId(devnet.deployment.dataset_id), contributor.address, expected.commitment
    )

    # The stored blob is the sealed file: its header hashes to the registered headerHash.
    store = node_home.blockstore()
    blob = read_blob(store, Cid(row.cid or ""), max_bytes=64 << 20)
    header = read_header(io.BytesIO(blob))
    assert keccak(header.encoded) == bytes(record.header_hash)
    assert header.header.contributor == contributor.address
    assert header.sealed_length == len(blob)
    assert not list((node_home.home / "sealed").glob("*")), "staging copies are removed"

    # Second run: "already submitted", no transaction, same single row.
    second = node_home.cli("contribute", str(export_zip), "--account-index", str(CONTRIBUTOR_INDEX))
    assert second.returncode == 0, second.stdout + second.stderr
    assert "already submitted" in second.stdout
    assert w3.eth.get_transaction_count(contributor.address) == nonce_before + 1
    assert [r.id for r in node_home.rows()] == [row.id]
