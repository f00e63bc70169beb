"""Typed wrappers of the protocol's core contracts: DatasetConfig, ValidatorStaking,
DKGCoordinator and SubmissionRegistry. Methods are named after the Solidity functions; reads
return frozen dataclasses, writes return receipts (or the decoded id they created)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import TxReceipt

from node.chain._base import ContractWrapper
from node.chain.eip712 import SubmissionMessage, digest
from node.types import DatasetId, Epoch, RitualId

__all__ = [
    "DKGCoordinator",
    "Dataset",
    "DatasetConfig",
    "EpochWindows",
    "RitualInfo",
    "RitualState",
    "SubmissionRecord",
    "SubmissionRegistry",
    "ValidatorInfo",
    "ValidatorStaking",
]


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

    def transferOwnership(self, new_owner: str) -> TxReceipt:  # noqa: N802
        return self._send("transferOwnership", Web3.to_checksum_address(new_owner))

    def owner(self) -> ChecksumAddress:
        return Web3.to_checksum_address(self._call("owner"))


@dataclass(frozen=True, slots=True)
class ValidatorInfo:
    registered: bool
    ferveo_public_key: bytes
    share_service_url: str
    stake: int
    unbonding: int
    unbonding_release_block: int


class ValidatorStaking(ContractWrapper):
    NAME = "ValidatorStaking"

    def stake(self, amount: int) -> TxReceipt:
        return self._send("stake", value=amount)

    def register(self, ferveo_public_key: bytes, share_service_url: str) -> TxReceipt:
        return self._send("register", ferveo_public_key, share_service_url)

    def requestUnstake(self, amount: int) -> TxReceipt:  # noqa: N802
        return self._send("requestUnstake", amount)

    def withdraw(self) -> TxReceipt:
        return self._send("withdraw")

    def stakeOf(self, validator: str) -> int:  # noqa: N802
        return int(self._call("stakeOf", Web3.to_checksum_address(validator)))

    def stakeAt(self, validator: str, block_number: int) -> int:  # noqa: N802
        return int(self._call("stakeAt", Web3.to_checksum_address(validator), block_number))

    def totalStaked(self) -> int:  # noqa: N802
        return int(self._call("totalStaked"))

    def validators(self) -> list[ChecksumAddress]:
        return [Web3.to_checksum_address(a) for a in self._call("validators")]

    def validatorInfo(self, validator: str) -> ValidatorInfo:  # noqa: N802
        return ValidatorInfo(*self._call("validatorInfo", Web3.to_checksum_address(validator)))

    def minStake(self) -> int:  # noqa: N802
        return int(self._call("minStake"))

    def unbondingBlocks(self) -> int:  # noqa: N802
        return int(self._call("unbondingBlocks"))


class RitualState(IntEnum):
    NONE = 0
    AWAITING_TRANSCRIPTS = 1
    AWAITING_AGGREGATIONS = 2
    ACTIVE = 3
    TIMEOUT = 4
    INVALID = 5


@dataclass(frozen=True, slots=True)
class RitualInfo:
    state: RitualState
    size: int
    threshold: int
    transcript_count: int
    aggregation_count: int
    init_timestamp: int
    deadline: int
    aggregated_transcript_digest: bytes


class DKGCoordinator(ContractWrapper):
    NAME = "DKGCoordinator"

    def initiateRitual(self, size: int, threshold: int, timeout_s: int) -> RitualId:  # noqa: N802
        receipt = self._send("initiateRitual", size, threshold, timeout_s)
        (event,) = self._logs(receipt, "RitualInitiated")
        return RitualId(event["args"]["ritualId"])

    def postTranscript(self, ritual_id: RitualId, transcript: bytes) -> TxReceipt:  # noqa: N802
        return self._send("postTranscript", ritual_id, transcript)

    def postAggregation(  # noqa: N802
        self, ritual_id: RitualId, aggregated_digest: bytes, dkg_public_key: bytes
    ) -> TxReceipt:
        return self._send("postAggregation", ritual_id, aggregated_digest, dkg_public_key)

    def getRitualState(self, ritual_id: RitualId) -> RitualState:  # noqa: N802
        return RitualState(self._call("getRitualState", ritual_id))

    def getRitual(self, ritual_id: RitualId) -> RitualInfo:  # noqa: N802
        raw = self._call("getRitual", ritual_id)
        return RitualInfo(RitualState(raw[0]), *raw[1:])

    def getParticipants(self, ritual_id: RitualId) -> list[ChecksumAddress]:  # noqa: N802
        return [Web3.to_checksum_address(a) for a in self._call("getParticipants", ritual_id)]

    def isParticipant(self, ritual_id: RitualId, who: str) -> bool:  # noqa: N802
        return bool(self._call("isParticipant", ritual_id, Web3.to_checksum_address(who)))

    def getThreshold(self, ritual_id: RitualId) -> int:  # noqa: N802
        return int(self._call("getThreshold", ritual_id))

    def getPublicKey(self, ritual_id: RitualId) -> bytes:  # noqa: N802
        return bytes(self._call("getPublicKey", ritual_id))

    def activeRitualId(self) -> RitualId:  # noqa: N802
        return RitualId(self._call("activeRitualId"))

    def transcripts(self, ritual_id: RitualId, from_block: int) -> dict[ChecksumAddress, bytes]:
        """Every transcript posted for ``ritual_id`` (from the TranscriptPosted events)."""
        event = self.contract.events.TranscriptPosted()
        found: dict[ChecksumAddress, bytes] = {}
        for log in self.chain.events(
            event, from_block=from_block, argument_filters={"ritualId": ritual_id}
        ):
            found[Web3.to_checksum_address(log["args"]["member"])] = bytes(
                log["args"]["transcript"]
            )
        return found


@dataclass(frozen=True, slots=True)
class SubmissionRecord:
    contributor: ChecksumAddress
    dataset_id: int
    epoch: int
    ritual_id: int
    registered_at: int
    header_hash: bytes
    content_commitment: bytes
    cid: str


class SubmissionRegistry(ContractWrapper):
    NAME = "SubmissionRegistry"

    def submit(self, message: SubmissionMessage, signature: bytes) -> TxReceipt:
        """Relay a signed submission (the sender may be anyone; the signer is the contributor)."""
        return self._send("submit", message.as_tuple(), signature)

    def submissionOf(self, file_id: bytes) -> SubmissionRecord:  # noqa: N802
        raw = self._call("submissionOf", file_id)
        return SubmissionRecord(Web3.to_checksum_address(raw[0]), *raw[1:])

    def epochFiles(self, dataset_id: DatasetId, epoch: Epoch) -> list[bytes]:  # noqa: N802
        return [bytes(f) for f in self._call("epochFiles", dataset_id, epoch)]

    def nonceUsed(self, contributor: str, nonce: int) -> bool:  # noqa: N802
        return bool(self._call("nonceUsed", Web3.to_checksum_address(contributor), nonce))

    def fileIdByCommitment(self, dataset_id: DatasetId, commitment: bytes) -> bytes:  # noqa: N802
        return bytes(self._call("fileIdByCommitment", dataset_id, commitment))

    def hashSubmission(self, message: SubmissionMessage) -> bytes:  # noqa: N802
        return bytes(self._call("hashSubmission", message.as_tuple()))

    def local_digest(self, message: SubmissionMessage) -> bytes:
        """The same digest computed off chain (must equal :meth:`hashSubmission`)."""
        return digest(message, chain_id=self.chain.chain_id, registry=self.address)
