"""Score commitments (protocol v2), byte-for-byte as ``ScoreBoard`` v2 computes them.

``commitment = keccak256(abi.encode(uint256 chainId, address scoreBoard, uint256 datasetId,
uint64 epoch, address validator, bytes32 root, uint256 total, bytes32 salt))``. The validator
commits to the Merkle root of its whole score vector (:mod:`node.protocol.scorevector`) and its
total, so reveal and finalize cost the same whatever the epoch's file count. Binding chain,
contract, dataset, epoch and the validator's address means a commitment cannot be replayed
elsewhere or copied by another validator; the 32-byte random salt keeps a root guessable from
public data (an all-zero vector, a copied vector) from being confirmed before the reveal.
``tests/vectors/commitment_v2.json`` is asserted by pytest (and made with ``cast``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from eth_abi.abi import encode
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak

from node.types import DatasetId, Epoch

__all__ = ["ScoreCommitment", "new_salt"]

UINT256_MAX = 2**256 - 1


def new_salt() -> bytes:
    return secrets.token_bytes(32)


@dataclass(frozen=True, slots=True)
class ScoreCommitment:
    """Everything a validator commits to for one epoch; the salt is never shown in repr."""

    chain_id: int
    score_board: ChecksumAddress
    dataset_id: DatasetId
    epoch: Epoch
    validator: ChecksumAddress
    root: bytes
    total: int
    salt: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.root) != 32 or len(self.salt) != 32:
            raise ValueError("root and salt are 32 bytes")
        if not 0 <= self.total <= UINT256_MAX:
            raise ValueError("total is a uint256")

    def digest(self) -> bytes:
        return keccak(
            encode(
                [
                    "uint256",
                    "address",
                    "uint256",
                    "uint64",
                    "address",
                    "bytes32",
                    "uint256",
                    "bytes32",
                ],
                [
                    self.chain_id,
                    self.score_board,
                    self.dataset_id,
                    self.epoch,
                    self.validator,
                    self.root,
                    self.total,
                    self.salt,
                ],
            )
        )
