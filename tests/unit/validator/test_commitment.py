"""validator/daemon/commitment.py reproduces every v2 commitment vector (made with ``cast``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from node.types import DatasetId, Epoch
from validator.daemon.commitment import ScoreCommitment

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "vectors" / "commitment_v2.json").read_text()
)["vectors"]


def _commitment(v: dict[str, Any], **changes: Any) -> ScoreCommitment:
    fields: dict[str, Any] = {
        "chain_id": int(v["chain_id"]),
        "score_board": Web3.to_checksum_address(v["score_board"]),
        "dataset_id": DatasetId(int(v["dataset_id"])),
        "epoch": Epoch(int(v["epoch"])),
        "validator": Web3.to_checksum_address(v["validator"]),
        "root": bytes.fromhex(v["root"][2:]),
        "total": int(v["total"]),
        "salt": bytes.fromhex(v["salt"][2:]),
    }
    return ScoreCommitment(**(fields | changes))


@pytest.mark.parametrize("v", VECTORS, ids=lambda v: v["name"])
def test_commitment_vectors(v: dict[str, Any]) -> None:
    c = _commitment(v)
    assert "0x" + c.digest().hex() == v["commitment"]
    assert v["salt"][2:] not in repr(c)


def test_every_field_is_bound() -> None:
    v = VECTORS[0]
    base = _commitment(v).digest()
    other = Web3.to_checksum_address("0x" + "12" * 20)
    for changes in (
        {"chain_id": int(v["chain_id"]) + 1},
        {"score_board": other},
        {"dataset_id": DatasetId(int(v["dataset_id"]) + 1)},
        {"epoch": Epoch(int(v["epoch"]) + 1)},
        {"validator": other},
        {"root": bytes(32)},
        {"total": int(v["total"]) + 1},
        {"salt": bytes(32)},
    ):
        assert _commitment(v, **changes).digest() != base, changes


def test_malformed_fields_are_refused() -> None:
    v = VECTORS[0]
    with pytest.raises(ValueError, match="32 bytes"):
        _commitment(v, root=b"\x01" * 31)
    with pytest.raises(ValueError, match="32 bytes"):
        _commitment(v, salt=b"")
    with pytest.raises(ValueError, match="uint256"):
        _commitment(v, total=-1)
    with pytest.raises(ValueError, match="uint256"):
        _commitment(v, total=2**256)
