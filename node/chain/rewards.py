"""Typed wrapper of RewardDistributor (protocol v2): Merkle-proof claims, bonds, validators.

A contributor's claim names its score vector value and the proof of it against the epoch's
finalized root; a file scored 0 cannot be claimed, its bond is forfeited (to the treasury) by a
proof of that 0; an epoch finalized without quorum refunds every bond.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from web3 import Web3
from web3.types import TxReceipt

from node.chain._base import ContractWrapper
from node.types import DatasetId, Epoch

__all__ = ["EpochRewards", "RewardDistributor"]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True, slots=True)
class EpochRewards:
    """The distributor's view of one epoch. Built from the ABI's field names, so a field the
    deployed contract does not have keeps its default instead of shifting the others."""

    finalized: bool = False
    quorum_met: bool = False
    dust_swept: bool = False
    finalized_at_block: int = 0
    emission: int = 0
    contributor_pool: int = 0
    validator_pool: int = 0
    root: bytes = b"\0" * 32
    total: int = 0
    total_validator_weight: int = 0
    minted: int = 0

    @classmethod
    def from_abi(cls, names: Sequence[str], values: Sequence[Any]) -> EpochRewards:
        known = {f.name for f in fields(cls)}
        picked: dict[str, Any] = {}
        for name, value in zip(names, values, strict=False):
            key = _snake(name)
            if key in known:
                picked[key] = bytes(value) if isinstance(value, bytes | bytearray) else value
        return cls(**picked)


class RewardDistributor(ContractWrapper):
    NAME = "RewardDistributor"

    def claim(
        self,
        dataset_id: DatasetId,
        epoch: Epoch,
        file_id: bytes,
        value: int,
        proof: Sequence[bytes],
    ) -> TxReceipt:
        """Mint the file's share to its contributor and refund its bond (anyone may send)."""
        return self._send("claim", dataset_id, epoch, file_id, value, list(proof))

    def forfeitBond(  # noqa: N802
        self, dataset_id: DatasetId, epoch: Epoch, file_id: bytes, proof: Sequence[bytes]
    ) -> TxReceipt:
        """Prove the file scored 0: its bond goes to the treasury."""
        return self._send("forfeitBond", dataset_id, epoch, file_id, list(proof))

    def refundBond(self, dataset_id: DatasetId, epoch: Epoch, file_id: bytes) -> TxReceipt:  # noqa: N802
        """An epoch finalized without quorum judged nobody: the bond returns to the contributor."""
        return self._send("refundBond", dataset_id, epoch, file_id)

    def claimValidatorReward(self, dataset_id: DatasetId, epoch: Epoch) -> TxReceipt:  # noqa: N802
        return self._send("claimValidatorReward", dataset_id, epoch)

    def sweepDust(self, dataset_id: DatasetId, epoch: Epoch) -> TxReceipt:  # noqa: N802
        return self._send("sweepDust", dataset_id, epoch)

    def carriedEmission(self, dataset_id: DatasetId) -> int:  # noqa: N802
        """Emission rolled over from epochs that paid nobody, added to the next paying one."""
        return int(self._call("carriedEmission", dataset_id))

    def validatorReward(self, dataset_id: DatasetId, epoch: Epoch, validator: str) -> int:  # noqa: N802
        v = Web3.to_checksum_address(validator)
        return int(self._call("validatorReward", dataset_id, epoch, v))

    def claimed(self, dataset_id: DatasetId, epoch: Epoch, file_id: bytes) -> bool:
        return bool(self._call("claimed", dataset_id, epoch, file_id))

    def epochRewards(self, dataset_id: DatasetId, epoch: Epoch) -> EpochRewards:  # noqa: N802
        raw = self._call("epochRewards", dataset_id, epoch)
        return EpochRewards.from_abi(self._output_names("epochRewards"), raw)

    def claimed_amounts(self, receipt: TxReceipt) -> list[tuple[int, int]]:
        """(tokens minted, bond refunded) of each ``RewardClaimed`` in a claim's receipt."""
        return [
            (int(e["args"]["amount"]), int(e["args"]["bondRefund"]))
            for e in self._logs(receipt, "RewardClaimed")
        ]

    def _output_names(self, fn: str) -> list[str]:
        abi: list[dict[str, Any]] = list(self.contract.abi)  # type: ignore[arg-type]
        for item in abi:
            if item.get("type") == "function" and item.get("name") == fn:
                outputs: list[dict[str, Any]] = list(item.get("outputs", []))
                if len(outputs) == 1 and outputs[0].get("type") == "tuple":
                    outputs = list(outputs[0].get("components", []))
                return [str(o.get("name", "")) for o in outputs]
        return []
