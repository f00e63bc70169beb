"""Typed wrapper of RewardDistributor: contributor and validator claims per epoch."""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3
from web3.types import TxReceipt

from node.chain._base import ContractWrapper
from node.types import DatasetId, Epoch

__all__ = ["EpochRewards", "RewardDistributor"]


@dataclass(frozen=True, slots=True)
class EpochRewards:
    finalized: bool
    dust_swept: bool
    finalized_at_block: int
    emission: int
    contributor_pool: int
    validator_pool: int
    total_score: int
    total_validator_weight: int
    minted: int
    claims_left: int


class RewardDistributor(ContractWrapper):
    NAME = "RewardDistributor"

    def claim(self, dataset_id: DatasetId, epoch: Epoch, file_id: bytes) -> TxReceipt:
        return self._send("claim", dataset_id, epoch, file_id)

    def claimValidatorReward(self, dataset_id: DatasetId, epoch: Epoch) -> TxReceipt:  # noqa: N802
        return self._send("claimValidatorReward", dataset_id, epoch)

    def sweepDust(self, dataset_id: DatasetId, epoch: Epoch) -> TxReceipt:  # noqa: N802
        return self._send("sweepDust", dataset_id, epoch)

    def contributorReward(self, dataset_id: DatasetId, epoch: Epoch, file_id: bytes) -> int:  # noqa: N802
        return int(self._call("contributorReward", dataset_id, epoch, file_id))

    def validatorReward(self, dataset_id: DatasetId, epoch: Epoch, validator: str) -> int:  # noqa: N802
        v = Web3.to_checksum_address(validator)
        return int(self._call("validatorReward", dataset_id, epoch, v))

    def claimed(self, dataset_id: DatasetId, epoch: Epoch, file_id: bytes) -> bool:
        return bool(self._call("claimed", dataset_id, epoch, file_id))

    def epochRewards(self, dataset_id: DatasetId, epoch: Epoch) -> EpochRewards:  # noqa: N802
        return EpochRewards(*self._call("epochRewards", dataset_id, epoch))
