"""Typed wrapper of SubmissionRegistry and the one record type of an on-chain submission."""

from __future__ import annotations

from dataclasses import dataclass

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import TxReceipt

from node.chain._base import ContractWrapper
from node.chain.eip712 import SubmissionMessage, digest
from node.types import DatasetId, Epoch

__all__ = ["SubmissionRecord", "SubmissionRegistry"]


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
