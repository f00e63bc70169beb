"""Score commitments, byte-for-byte as ``contracts/src/libraries/Commitments.sol`` computes them.

``commitment = keccak256(abi.encode(chainId, scoreBoard, datasetId, epoch, validator,
keccak256(abi.encode(fileIds, scoresBps)), salt))``. Binding chain, contract, dataset, epoch and
the validator's address means a commitment cannot be replayed elsewhere or copied by another
validator; the 32-byte random salt makes 10,001 possible scores impossible to brute-force.
``tests/vectors/commitment_v1.json`` is asserted by forge and by pytest.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from eth_abi.abi import encode
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak

from node.types import Bps, DatasetId, Epoch

__all__ = ["ScoreCommitment", "new_salt", "scores_hash"]

MAX_BPS = 10_000


def new_salt() -> bytes:
    return secrets.token_bytes(32)


def scores_hash(file_ids: list[bytes], scores_bps: list[Bps]) -> bytes:
    """``keccak256(abi.encode(bytes32[] fileIds, uint16[] scoresBps))``."""
    if len(file_ids) != len(scores_bps):
        raise ValueError("one score per file")
    if any(not 0 <= s <= MAX_BPS for s in scores_bps):
        raise ValueError("scores are basis points in 0..10000")
    return keccak(encode(["bytes32[]", "uint16[]"], [file_ids, list(scores_bps)]))


@dataclass(frozen=True, slots=True)
class ScoreCommitment:
    """Everything a validator commits to for one epoch; the salt is never shown in repr."""

    chain_id: int
    score_board: ChecksumAddress
    dataset_id: DatasetId
    epoch: Epoch
    validator: ChecksumAddress
    file_ids: tuple[bytes, ...]
    scores_bps: tuple[Bps, ...]
    salt: bytes = field(repr=False)

    def digest(self) -> bytes:
        return keccak(
            encode(
                ["uint256", "address", "uint256", "uint64", "address", "bytes32", "bytes32"],
                [
                    self.chain_id,
                    self.score_board,
                    self.dataset_id,
                    self.epoch,
                    self.validator,
                    scores_hash(list(self.file_ids), list(self.scores_bps)),
                    self.salt,
                ],
            )
        )
