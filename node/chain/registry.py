"""Typed wrapper of SubmissionRegistry (protocol v2) and the one record type of a submission.

v2 keeps only a two-slot record in storage (contributor, epoch, ritual, dataset, bond,
registration block); the CID, header hash and content commitment live only in the
``SubmissionRegistered`` event, which is indexed by (datasetId, epoch, fileId). So a full
:class:`SubmissionRecord` is the storage record joined with its event, and an epoch's files are
its events, read in chain order (block, log index) over paged block ranges: there is no file
array and no cap on chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_typing import ChecksumAddress
from web3 import Web3
from web3.types import EventData, TxReceipt

from node.chain._base import ContractWrapper
from node.chain.dataset_config import Dataset, DatasetConfig
from node.chain.eip712 import SubmissionMessage, digest
from node.chain.errors import ContractRevert
from node.errors import ChainError
from node.protocol.ids import validation_file_id
from node.types import Cid, ContentCommitment, DatasetId, Epoch, FileId, HeaderHash, RitualId

__all__ = [
    "LOG_PAGE_BLOCKS",
    "StoredSubmission",
    "SubmissionEventMissing",
    "SubmissionRecord",
    "SubmissionRegistry",
    "UnknownSubmission",
]

_ZERO_ADDRESS = Web3.to_checksum_address("0x" + "00" * 20)
_UNKNOWN_FILE = "SubmissionRegistryUnknownFile"
LOG_PAGE_BLOCKS = 2_000
"""Blocks per ``eth_getLogs`` request: within what public RPC providers accept."""


class UnknownSubmission(ChainError):
    """No submission is registered under this file id (the registry reverted ``UnknownFile``)."""

    def __init__(self, file_id: bytes) -> None:
        super().__init__(f"no submission is registered as file 0x{bytes(file_id).hex()}")
        self.file_id = bytes(file_id)


class SubmissionEventMissing(ChainError):
    """The registry stores the file but its ``SubmissionRegistered`` log was not found.

    The CID and hashes live only in that log: an RPC node that prunes logs (or a wrong block
    range) cannot describe the file. Use an archive-capable RPC endpoint.
    """

    def __init__(self, file_id: bytes, from_block: int, to_block: int) -> None:
        super().__init__(
            f"file 0x{bytes(file_id).hex()} is registered but its SubmissionRegistered log is "
            f"not in blocks {from_block}..{to_block}: the RPC endpoint may prune logs"
        )
        self.file_id = bytes(file_id)


@dataclass(frozen=True, slots=True)
class StoredSubmission:
    """``SubmissionRegistry.submissionOf``: the two storage slots v2 keeps per file."""

    contributor: ChecksumAddress
    epoch: Epoch
    ritual_id: RitualId
    dataset_id: DatasetId
    bond: int
    registered_at: int

    @classmethod
    def from_chain(cls, raw: Sequence[Any]) -> StoredSubmission:
        """From the struct ``(contributor, epoch, ritualId, datasetId, bond, registeredAt)``."""
        return cls(
            contributor=Web3.to_checksum_address(raw[0]),
            epoch=Epoch(int(raw[1])),
            ritual_id=RitualId(int(raw[2])),
            dataset_id=DatasetId(int(raw[3])),
            bond=int(raw[4]),
            registered_at=int(raw[5]),
        )


@dataclass(frozen=True, slots=True)
class SubmissionRecord:
    """One registered file: its storage record joined with its ``SubmissionRegistered`` event.

    The one record of this on-chain fact: the pipeline verifies its own submission against it,
    the share services authorise against it, and the renter and the scoring daemon open files
    from it. ``file_id`` is the key it was read under; ``bond`` is what is still held for it
    (0 once returned or forfeited); ``registered_at`` is the block it was registered in.
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
    bond: int = 0

    @classmethod
    def from_chain(
        cls, file_id: bytes, stored: StoredSubmission, event: Mapping[str, Any]
    ) -> SubmissionRecord:
        """The record from ``submissionOf``'s struct and the event's decoded ``args``.

        The storage record is authoritative for who and when (it is what the distributor pays);
        the event supplies what storage does not keep.
        """
        return cls(
            contributor=stored.contributor,
            dataset_id=stored.dataset_id,
            epoch=stored.epoch,
            ritual_id=stored.ritual_id,
            registered_at=stored.registered_at,
            header_hash=HeaderHash(bytes(event["headerHash"])),
            content_commitment=ContentCommitment(bytes(event["contentCommitment"])),
            cid=Cid(str(event["cid"])),
            file_id=FileId(bytes(file_id)),
            bond=stored.bond,
        )

    @classmethod
    def from_event(cls, args: Mapping[str, Any], block_number: int) -> SubmissionRecord:
        """The record from the event alone (an epoch's listing: one log per file, no call).

        ``bond`` is the bond paid at registration; it may since have been returned.
        """
        return cls(
            contributor=Web3.to_checksum_address(args["contributor"]),
            dataset_id=DatasetId(int(args["datasetId"])),
            epoch=Epoch(int(args["epoch"])),
            ritual_id=RitualId(int(args["ritualId"])),
            registered_at=int(block_number),
            header_hash=HeaderHash(bytes(args["headerHash"])),
            content_commitment=ContentCommitment(bytes(args["contentCommitment"])),
            cid=Cid(str(args["cid"])),
            file_id=FileId(bytes(args["fileId"])),
            bond=int(args["bond"]),
        )

    @classmethod
    def of_validation_set(
        cls, d: Dataset, *, dataset_id: DatasetId, epoch: Epoch, ritual_id: RitualId
    ) -> SubmissionRecord:
        """The dataset's secret validation set as a record: the file id derived from the dataset
        (:func:`node.protocol.ids.validation_file_id`), the CID, header hash and commitment that
        ``DatasetConfig`` pins, the zero contributor its header names, and the ritual it was
        sealed to."""
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


def _chain_order(logs: Iterable[EventData]) -> list[EventData]:
    return sorted(logs, key=lambda e: (int(e["blockNumber"]), int(e["logIndex"])))


class SubmissionRegistry(ContractWrapper):
    NAME = "SubmissionRegistry"

    # ------------------------------------------------------------------------------- writes

    def submit(self, message: SubmissionMessage, signature: bytes, bond: int) -> TxReceipt:
        """Relay a signed submission paying ``bond`` wei (the sender may be anyone; the signer
        is the contributor, and the bond is refunded to the contributor, never the sender)."""
        return self._send("submit", message.as_tuple(), signature, value=bond)

    # ------------------------------------------------------------------------------- reads

    def file_id_of(self, contributor: str, header_hash: bytes) -> FileId:
        """The registry's ``fileIdOf`` (must equal ``node.protocol.ids.submission_file_id``)."""
        c = Web3.to_checksum_address(contributor)
        return FileId(bytes(self._call("fileIdOf", c, header_hash)))

    def stored(self, file_id: bytes) -> StoredSubmission:
        """The storage record. Raises UnknownSubmission for a file never registered."""
        try:
            raw = self._call("submissionOf", file_id)
        except ContractRevert as err:
            if err.error_name == _UNKNOWN_FILE:
                raise UnknownSubmission(file_id) from None
            raise
        return StoredSubmission.from_chain(raw)

    def exists(self, file_id: bytes) -> bool:
        return bool(self._call("exists", file_id))

    def content_submitted(self, dataset_id: DatasetId, contributor: str, commitment: bytes) -> bool:
        """Whether ``contributor`` already registered this content in the dataset (the registry
        refuses it a second time; another contributor may still submit it)."""
        c = Web3.to_checksum_address(contributor)
        return bool(self._call("contentSubmitted", dataset_id, c, commitment))

    def record(self, file_id: bytes) -> SubmissionRecord:
        """The full record: storage, then its event at the registration block (found by the
        indexed fileId topic; the epoch's submit window is searched if it is not there).

        Raises:
            UnknownSubmission: no such file.
            SubmissionEventMissing: stored, but the RPC endpoint returned no log for it.
        """
        stored = self.stored(file_id)
        filters = {
            "datasetId": int(stored.dataset_id),
            "epoch": int(stored.epoch),
            "fileId": bytes(file_id),
        }
        ranges = [(stored.registered_at, stored.registered_at)]
        window = self._epoch_range(stored.dataset_id, stored.epoch)
        if window != ranges[0]:
            ranges.append(window)
        for start, stop in ranges:
            for log in self._events(filters, start, stop):
                if bytes(log["args"]["fileId"]) == bytes(file_id):
                    return SubmissionRecord.from_chain(file_id, stored, log["args"])
        raise SubmissionEventMissing(file_id, ranges[-1][0], ranges[-1][1])

    def submissionOf(self, file_id: bytes) -> SubmissionRecord:  # noqa: N802
        """Alias of :meth:`record` kept for callers written against v1's name."""
        return self.record(file_id)

    def epoch_records(
        self,
        dataset_id: DatasetId,
        epoch: Epoch,
        *,
        from_block: int | None = None,
        to_block: int | None = None,
        page_size: int = LOG_PAGE_BLOCKS,
    ) -> list[SubmissionRecord]:
        """Every file registered in (dataset, epoch), in chain order (block, log index).

        The logs are filtered by the indexed (datasetId, epoch) topics and read ``page_size``
        blocks at a time over the epoch's submit window (the only blocks ``submit`` accepts the
        epoch in), so an epoch of 10,000 files is as many small requests as its window needs.
        ``bond`` is the bond paid at registration.
        """
        if from_block is None or to_block is None:
            start, stop = self._epoch_range(dataset_id, epoch)
            from_block = start if from_block is None else from_block
            to_block = stop if to_block is None else to_block
        filters = {"datasetId": int(dataset_id), "epoch": int(epoch)}
        logs = self._events(filters, from_block, to_block, page_size=page_size)
        seen: set[bytes] = set()
        out: list[SubmissionRecord] = []
        for log in _chain_order(logs):
            record = SubmissionRecord.from_event(log["args"], int(log["blockNumber"]))
            if record.dataset_id != dataset_id or record.epoch != epoch:
                continue  # a provider that ignores topic filters must not mix epochs
            if record.file_id in seen:
                continue  # overlapping pages (a reorg-retry) must not list a file twice
            seen.add(record.file_id)
            out.append(record)
        return out

    def epochFiles(self, dataset_id: DatasetId, epoch: Epoch) -> list[bytes]:  # noqa: N802
        """The epoch's file ids in chain order (v1's name; v2 reads them from the events)."""
        return [bytes(r.file_id) for r in self.epoch_records(dataset_id, epoch)]

    def registered(self, receipt: TxReceipt) -> list[SubmissionRecord]:
        """The submissions a mined ``submit`` transaction registered (from its receipt)."""
        return [
            SubmissionRecord.from_event(log["args"], int(log["blockNumber"]))
            for log in self._logs(receipt, "SubmissionRegistered")
        ]

    def hashSubmission(self, message: SubmissionMessage) -> bytes:  # noqa: N802
        return bytes(self._call("hashSubmission", message.as_tuple()))

    def local_digest(self, message: SubmissionMessage) -> bytes:
        """The same digest computed off chain (must equal :meth:`hashSubmission`)."""
        return digest(message, chain_id=self.chain.chain_id, registry=self.address)

    def config(self) -> DatasetConfig:
        """The DatasetConfig this registry reads epochs and bonds from."""
        return DatasetConfig(self.chain, str(self._call("config")))

    # ------------------------------------------------------------------------------- internals

    def _epoch_range(self, dataset_id: DatasetId, epoch: Epoch) -> tuple[int, int]:
        """Blocks in which ``submit`` accepts ``epoch``: its submit window, cut at the head."""
        windows = self.config().epochWindows(dataset_id, epoch)
        head = self.chain.block_number()
        return windows.submit_start, max(windows.submit_start, min(windows.close_block, head))

    def _events(
        self,
        filters: dict[str, Any],
        from_block: int,
        to_block: int,
        *,
        page_size: int = LOG_PAGE_BLOCKS,
    ) -> list[EventData]:
        event = self.contract.events["SubmissionRegistered"]()
        return list(
            self.chain.events(
                event,
                from_block=from_block,
                to_block=to_block,
                page_size=page_size,
                argument_filters=filters,
            )
        )
