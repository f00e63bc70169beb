"""Typed wrappers of scoring and rewards: ScoreBoard, RewardDistributor, DatasetToken."""

from __future__ import annotations

from dataclasses import dataclass

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import TxReceipt

from node.chain._base import ContractWrapper
from node.types import DatasetId, Epoch

__all__ = ["DatasetToken", "EpochRewards", "EpochStatus", "RewardDistributor", "ScoreBoard"]


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


class DatasetToken(ContractWrapper):
    NAME = "DatasetToken"

    def balanceOf(self, who: str) -> int:  # noqa: N802
        return int(self._call("balanceOf", Web3.to_checksum_address(who)))

    def totalSupply(self) -> int:  # noqa: N802
        return int(self._call("totalSupply"))

    def getVotes(self, who: str) -> int:  # noqa: N802
        return int(self._call("getVotes", Web3.to_checksum_address(who)))

    def getPastVotes(self, who: str, block: int) -> int:  # noqa: N802
        return int(self._call("getPastVotes", Web3.to_checksum_address(who), block))

    def delegates(self, who: str) -> ChecksumAddress:
        return Web3.to_checksum_address(self._call("delegates", Web3.to_checksum_address(who)))

    def delegate(self, delegatee: str) -> TxReceipt:
        return self._send("delegate", Web3.to_checksum_address(delegatee))

    def transfer(self, to: str, amount: int) -> TxReceipt:
        return self._send("transfer", Web3.to_checksum_address(to), amount)

    def symbol(self) -> str:
        return str(self._call("symbol"))
