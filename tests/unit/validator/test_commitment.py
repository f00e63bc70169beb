"""validator/commitment.py reproduces every shared commitment vector (also asserted by forge)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from node.types import Bps, DatasetId, Epoch
from validator.daemon.commitment import ScoreCommitment, scores_hash

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "vectors" / "commitment_v1.json").read_text()
)["vectors"]


@pytest.mark.parametrize("v", VECTORS, ids=lambda v: v["name"])
def test_commitment_vectors(v: dict[str, Any]) -> None:
    file_ids = tuple(bytes.fromhex(f[2:]) for f in v["file_ids"])
    scores = tuple(Bps(s) for s in v["scores_bps"])
    assert "0x" + scores_hash(list(file_ids), list(scores)).hex() == v["scores_hash"]
    c = ScoreCommitment(
        chain_id=v["chain_id"],
        score_board=Web3.to_checksum_address(v["score_board"]),
        dataset_id=DatasetId(int(v["dataset_id"])),
        epoch=Epoch(int(v["epoch"])),
        validator=Web3.to_checksum_address(v["validator"]),
        file_ids=file_ids,
        scores_bps=scores,
        salt=bytes.fromhex(v["salt"][2:]),
    )
    assert "0x" + c.digest().hex() == v["commitment"]
    assert v["salt"][2:] not in repr(c)


def test_out_of_range_score_is_refused() -> None:
    with pytest.raises(ValueError, match="basis points"):
        scores_hash([b"\x01" * 32], [Bps(10_001)])
