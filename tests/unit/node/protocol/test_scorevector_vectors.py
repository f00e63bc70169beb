"""tests/vectors/scorevector_v2.json: the leaves, roots and proofs the contracts verify.

The Foundry test reads the same file with OpenZeppelin's MerkleProof. Here the leaves are
recomputed with eth_abi (not the module's own byte packing), the roots by a separate fold, and
every proof through :func:`verify_proof`; the published document must decode to the same root.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from node.protocol.scorevector import UNITS, ScoreVector, leaf_hash, verify_proof
from node.types import DatasetId, Epoch, FileId

VECTORS = Path(__file__).resolve().parents[4] / "tests" / "vectors" / "scorevector_v2.json"
CASES: list[dict[str, Any]] = json.loads(VECTORS.read_text())["cases"]


def _b(hex0x: str) -> bytes:
    return bytes.fromhex(hex0x.removeprefix("0x"))


def _reference_root(leaves: list[bytes]) -> bytes:
    level = leaves
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level), 2):
            if i + 1 == len(level):
                nxt.append(level[i])
            else:
                a, b = sorted((level[i], level[i + 1]))
                nxt.append(keccak(a + b))
        level = nxt
    return level[0]


def test_the_file_covers_1_2_3_and_5_leaves() -> None:
    assert sorted(len(c["leaves"]) for c in CASES) == [1, 2, 3, 5]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vector_case(case: dict[str, Any]) -> None:
    leaves = case["leaves"]
    ids = [_b(leaf["file_id"]) for leaf in leaves]
    assert ids == sorted(ids)
    hashed = []
    for leaf in leaves:
        fid, value = _b(leaf["file_id"]), int(leaf["value"])
        expected = keccak(keccak(encode(["bytes32", "uint256"], [fid, value])))
        assert _b(leaf["leaf"]) == expected == leaf_hash(fid, value)
        hashed.append(expected)
    root = _b(case["root"])
    assert _reference_root(hashed) == root
    assert int(case["total"]) == sum(int(leaf["value"]) for leaf in leaves) == UNITS

    vector = ScoreVector(
        DatasetId(case["dataset_id"]),
        Epoch(case["epoch"]),
        tuple((FileId(_b(leaf["file_id"])), int(leaf["value"])) for leaf in leaves),
    )
    assert vector.root == root
    assert vector.encode() == case["document"].encode()
    assert ScoreVector.decode(case["document"].encode()) == vector
    for leaf in leaves:
        fid, value = _b(leaf["file_id"]), int(leaf["value"])
        proof = [_b(p) for p in leaf["proof"]]
        assert vector.proof(fid) == proof
        assert verify_proof(root, fid, value, proof)
        assert not verify_proof(root, fid, value + 1, proof)
