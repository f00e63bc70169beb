"""Typed wrapper of ScoreBoard: epoch seeds, committees, commit / reveal and finalization."""

from __future__ import annotations

from dataclasses import dataclass

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import TxReceipt

from node.chain._base import ContractWrapper
from node.types import DatasetId, Epoch

__all__ = ["EpochStatus", "ScoreBoard"]


@dataclass(frozen=True, slots=True)
class EpochStatus:
    seed_fixed: bool
    finalized: bool
    quorum_met: bool
    committed_stake: int
    revealed_stake: int
    total_score: int


class ScoreBoard(ContractWrapper):
    NAME = "ScoreBoard"

    def fixSeed(self, dataset_id: DatasetId, epoch: Epoch) -> TxReceipt:  # noqa: N802
        return self._send("fixSeed", dataset_id, epoch)

    def commit(self, dataset_id: DatasetId, epoch: Epoch, commitment: bytes) -> TxReceipt:
        return self._send("commit", dataset_id, epoch, commitment)

    def reveal(
        self, dataset_id: DatasetId, epoch: Epoch, scores_bps: list[int], salt: bytes
    ) -> TxReceipt:
        return self._send("reveal", dataset_id, epoch, scores_bps, salt)

    def finalize(self, dataset_id: DatasetId, epoch: Epoch) -> TxReceipt:
        return self._send("finalize", dataset_id, epoch)

    def epochSeed(self, dataset_id: DatasetId, epoch: Epoch) -> bytes:  # noqa: N802
        return bytes(self._call("epochSeed", dataset_id, epoch))

    def committee(self, dataset_id: DatasetId, epoch: Epoch) -> list[ChecksumAddress]:
        return [Web3.to_checksum_address(a) for a in self._call("committee", dataset_id, epoch)]

    def finalScore(self, dataset_id: DatasetId, epoch: Epoch, file_id: bytes) -> int:  # noqa: N802
        return int(self._call("finalScore", dataset_id, epoch, file_id))

    def epochStatus(self, dataset_id: DatasetId, epoch: Epoch) -> EpochStatus:  # noqa: N802
        return EpochStatus(*self._call("epochStatus", dataset_id, epoch))

    def agreementEma(self, validator: str) -> int:  # noqa: N802
        return int(self._call("agreementEma", Web3.to_checksum_address(validator)))

    def commitmentOf(self, dataset_id: DatasetId, epoch: Epoch, validator: str) -> bytes:  # noqa: N802
        v = Web3.to_checksum_address(validator)
        return bytes(self._call("commitmentOf", dataset_id, epoch, v))

    def revealed(self, dataset_id: DatasetId, epoch: Epoch, validator: str) -> bool:
        v = Web3.to_checksum_address(validator)
        return bool(self._call("revealed", dataset_id, epoch, v))

    def revealedScores(self, dataset_id: DatasetId, epoch: Epoch, validator: str) -> list[int]:  # noqa: N802
        v = Web3.to_checksum_address(validator)
        return [int(s) for s in self._call("revealedScores", dataset_id, epoch, v)]
