"""Generate the protocol v2 score-vector known answers: ``tests/vectors/scorevector_v2.json``.

Run by hand, never in CI, and review the diff::

    .venv/bin/python scripts/gen_scorevector_vectors.py            # refuses to overwrite
    .venv/bin/python scripts/gen_scorevector_vectors.py --force    # only for a new file

Everything is deterministic (file ids are keccak of a label, values come from ``to_units`` over
fixed shares), so re-running reproduces the file byte for byte; it is still never regenerated
once released, only added to. A Foundry test (OpenZeppelin ``MerkleProof.verify``) and
``tests/unit/node/protocol/test_scorevector_vectors.py`` read the same file.
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak

from node.protocol.scorevector import ScoreVector, leaf_hash, to_units, verify_proof
from node.types import DatasetId, Epoch, FileId

OUT = Path(__file__).resolve().parents[1] / "tests" / "vectors" / "scorevector_v2.json"

# name -> shares in the order the files are labelled (not sorted: the vector sorts them)
CASES: list[tuple[str, str, list[Fraction]]] = [
    ("one-leaf", "one file takes the whole pool: root = leaf, proof = []", [Fraction(1)]),
    ("two-leaves", "two files, 1:2", [Fraction(1), Fraction(2)]),
    (
        "three-leaves",
        "three equal shares: 10**9 / 3 leaves one unit for the smallest file id",
        [Fraction(1), Fraction(1), Fraction(1)],
    ),
    (
        "five-leaves",
        "five files, one scored 0 (listed so its forfeit is provable); the fifth leaf is carried",
        [Fraction(5), Fraction(0), Fraction(3), Fraction(1, 7), Fraction(2)],
    ),
]
DATASET_ID = 1
EPOCH = 3


def file_id(case: str, i: int) -> FileId:
    return FileId(keccak(f"scorevector_v2 {case} file {i}".encode()))


def build(name: str, description: str, shares: list[Fraction]) -> dict[str, Any]:
    units = to_units({file_id(name, i): s for i, s in enumerate(shares)})
    vector = ScoreVector.from_units(DatasetId(DATASET_ID), Epoch(EPOCH), units)
    leaves = []
    for fid, value in vector.entries:
        proof = vector.proof(fid)
        if not verify_proof(vector.root, fid, value, proof):
            raise RuntimeError(f"{name}: the proof of {fid.hex()} does not verify")
        leaves.append(
            {
                "file_id": "0x" + fid.hex(),
                "value": str(value),  # decimal strings: JSON readers lose precision past 2^53
                "leaf": "0x" + leaf_hash(fid, value).hex(),
                "proof": ["0x" + p.hex() for p in proof],
            }
        )
    document = vector.encode()
    if ScoreVector.decode(document) != vector:
        raise RuntimeError(f"{name}: the document does not round-trip")
    return {
        "name": name,
        "description": description,
        "dataset_id": DATASET_ID,
        "epoch": EPOCH,
        "root": "0x" + vector.root.hex(),
        "total": str(vector.total),
        "leaves": leaves,
        "document": document.decode(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if args.out.exists() and not args.force:
        print(f"{args.out} exists; released vectors are never regenerated (--force overrides)")
        return 1
    doc = {
        "format": "score vector v2 (node/protocol/scorevector.py; OZ StandardMerkleTree leaves,"
        " commutative keccak pairs, leaves by fileId ascending, odd node carried up)",
        "generator": "scripts/gen_scorevector_vectors.py",
        "units": "1e-9 of the epoch's contributor pool; total is 10**9 or 0",
        "cases": [build(*case) for case in CASES],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {len(doc['cases'])} cases to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
