"""Typed wrapper of DatasetConfig: datasets, their epochs' block windows and governed parameters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import TxReceipt

from node.chain._base import ContractWrapper
from node.types import DatasetId, Epoch

__all__ = ["Dataset", "DatasetConfig", "EpochWindows"]


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    valuation_spec_digest: bytes
    validation_set_commitment: bytes
    validation_set_cid: str
    validation_set_header_hash: bytes
    emission_per_epoch: int
    emission_cap: int
    genesis_block: int
    submit_blocks: int
    commit_blocks: int
    reveal_blocks: int
    quorum_bps: int
    min_score_bps: int
    validator_share_bps: int

    def as_tuple(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f) for f in self.__slots__)


@dataclass(frozen=True, slots=True)
class EpochWindows:
    submit_start: int
    close_block: int
    reveal_start: int
    finalize_from: int

    @property
    def commit_start(self) -> int:
        return self.close_block


class DatasetConfig(ContractWrapper):
    NAME = "DatasetConfig"

    def dataset(self, dataset_id: DatasetId) -> Dataset:
        return Dataset(*self._call("dataset", dataset_id))

    def exists(self, dataset_id: DatasetId) -> bool:
        return bool(self._call("exists", dataset_id))

    def datasetCount(self) -> int:  # noqa: N802 - Solidity name
        return int(self._call("datasetCount"))

    def currentEpoch(self, dataset_id: DatasetId) -> Epoch:  # noqa: N802
        return Epoch(self._call("currentEpoch", dataset_id))

    def epochWindows(self, dataset_id: DatasetId, epoch: Epoch) -> EpochWindows:  # noqa: N802
        return EpochWindows(*self._call("epochWindows", dataset_id, epoch))

    def createDataset(self, d: Dataset) -> TxReceipt:  # noqa: N802
        return self._send("createDataset", d.as_tuple())

    def setEmission(self, dataset_id: DatasetId, emission: int) -> TxReceipt:  # noqa: N802
        return self._send("setEmission", dataset_id, emission)

    def setValuationSpec(self, dataset_id: DatasetId, digest: bytes) -> TxReceipt:  # noqa: N802
        return self._send("setValuationSpec", dataset_id, digest)

    def setValidationSet(  # noqa: N802
        self, dataset_id: DatasetId, commitment: bytes, cid: str, header_hash: bytes
    ) -> TxReceipt:
        return self._send("setValidationSet", dataset_id, commitment, cid, header_hash)

    def submissionBond(self, dataset_id: DatasetId) -> int:  # noqa: N802
        """Wei every submission to the dataset must send with ``submit`` (refunded with a paid
        claim, forfeited with a proof of a 0 score)."""
        return int(self._call("submissionBond", dataset_id))

    def setSubmissionBond(self, dataset_id: DatasetId, bond: int) -> TxReceipt:  # noqa: N802
        """Owner only (the timelock): governance proposes it like the other settings."""
        if not 0 <= bond < 1 << 96:
            raise ValueError("the submission bond must fit in uint96")
        return self._send("setSubmissionBond", dataset_id, bond)

    def transferOwnership(self, new_owner: str) -> TxReceipt:  # noqa: N802
        return self._send("transferOwnership", Web3.to_checksum_address(new_owner))

    def owner(self) -> ChecksumAddress:
        return Web3.to_checksum_address(self._call("owner"))
