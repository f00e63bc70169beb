"""Typed wrapper of SubmissionRegistry and the one record type of an on-chain submission."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import TxReceipt

from node.chain._base import ContractWrapper
from node.chain.dataset_config import Dataset
from node.chain.eip712 import SubmissionMessage, digest
from node.protocol.ids import validation_file_id
from node.types import Cid, ContentCommitment, DatasetId, Epoch, FileId, HeaderHash, RitualId

__all__ = ["SubmissionRecord", "SubmissionRegistry"]

_ZERO_ADDRESS = Web3.to_checksum_address("0x" + "00" * 20)


@dataclass(frozen=True, slots=True)
class SubmissionRecord:
    """One registered file, as ``SubmissionRegistry.submissionOf`` describes it.

    The one record of this on-chain fact: the pipeline verifies its own submission against it,
    the share services authorise against it, and the renter and the scoring daemon open files
    from it. ``file_id`` is the key it was read under (the contract's struct does not repeat it).
    """

    contributor: ChecksumAddress
    dataset_id: DatasetId
    epoch: Epoch
    ritual_id: RitualId
    registered_at: int
    header_hash: HeaderHash
    content_commitment: ContentCommitment
    cid: Cid
    file_id: FileId

    @classmethod
    def from_chain(cls, file_id: bytes, raw: Sequence[Any]) -> SubmissionRecord:
        """The record from the contract's tuple ``(contributor, datasetId, epoch, ritualId,
        registeredAt, headerHash, contentCommitment, cid)``."""
        return cls(
            contributor=Web3.to_checksum_address(raw[0]),
            dataset_id=DatasetId(int(raw[1])),
            epoch=Epoch(int(raw[2])),
            ritual_id=RitualId(int(raw[3])),
            registered_at=int(raw[4]),
            header_hash=HeaderHash(bytes(raw[5])),
            content_commitment=ContentCommitment(bytes(raw[6])),
            cid=Cid(str(raw[7])),
            file_id=FileId(bytes(file_id)),
        )

    @classmethod
    def of_validation_set(
        cls, d: Dataset, *, dataset_id: DatasetId, epoch: Epoch, ritual_id: RitualId
    ) -> SubmissionRecord:
        """The dataset's secret validation set as a record: the file id derived from the dataset
        (:func:`node.protocol.ids.validation_file_id`), the CID, header hash and commitment that
        ``DatasetConfig`` pins, no contributor, and the ritual its sealed header names."""
        return cls(
            contributor=_ZERO_ADDRESS,
            dataset_id=dataset_id,
            epoch=epoch,
            ritual_id=ritual_id,
            registered_at=0,
            header_hash=HeaderHash(bytes(d.validation_set_header_hash)),
            content_commitment=ContentCommitment(bytes(d.validation_set_commitment)),
            cid=Cid(d.validation_set_cid),
            file_id=FileId(validation_file_id(int(dataset_id))),
        )

    @property
    def name(self) -> str:
        """The file id in hex: how logs, errors and the renter's output files name it."""
        return self.file_id.hex()


class SubmissionRegistry(ContractWrapper):
    NAME = "SubmissionRegistry"

    def submit(self, message: SubmissionMessage, signature: bytes) -> TxReceipt:
        """Relay a signed submission (the sender may be anyone; the signer is the contributor)."""
        return self._send("submit", message.as_tuple(), signature)

    def submissionOf(self, file_id: bytes) -> SubmissionRecord:  # noqa: N802
        return SubmissionRecord.from_chain(file_id, self._call("submissionOf", file_id))

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
