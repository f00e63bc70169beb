"""The daemon's production adapters: the chain through :mod:`node.chain`, files through storage
and custody.

:class:`ChainEpochView` is :class:`validator.daemon.driver.EpochChain` over the typed contract
wrappers; :class:`CustodyOpener` opens an epoch's files and the validation set in memory with
threshold shares. Tests drive the driver with fakes instead; the integration tests drive these.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from eth_typing import ChecksumAddress
from web3.types import TxReceipt

from node.chain.contracts import Contracts
from node.chain.dataset_config import EpochWindows
from node.chain.eip712 import Purpose
from node.chain.registry import SubmissionRecord
from node.chain.scoreboard import EpochStatus
from node.custody.files import BatchStats, FileOutcome, decrypt_file, decrypt_files
from node.custody.gather import BatchAsk, Peer, ShareAsk, ShareClient
from node.custody.streams import IteratorReader
from node.protocol.crypto import read_header
from node.storage.base import BlobStore
from node.types import Cid, DatasetId, Epoch
from validator.daemon.availability import FileNotInEpoch
from validator.daemon.driver import MAX_VALIDATION_SET_BYTES, Deliver, OpenStats

__all__ = ["ChainEpochView", "CustodyOpener"]


def _tx(receipt: TxReceipt) -> str:
    return "0x" + bytes(receipt["transactionHash"]).hex()


class ChainEpochView:
    """:class:`EpochChain` over the typed contract wrappers of one deployment."""

    def __init__(self, contracts: Contracts) -> None:
        self._chain = contracts.board.chain
        self.config = contracts.config
        self.registry = contracts.registry
        self.board = contracts.board
        self.rewards = contracts.rewards

    def head(self) -> int:
        return self._chain.block_number()

    def current_epoch(self, dataset_id: DatasetId) -> Epoch:
        return self.config.currentEpoch(dataset_id)

    def windows(self, dataset_id: DatasetId, epoch: Epoch) -> EpochWindows:
        return self.config.epochWindows(dataset_id, epoch)

    def epoch_seed(self, dataset_id: DatasetId, epoch: Epoch) -> bytes:
        return self.board.epochSeed(dataset_id, epoch)

    def fix_seed(self, dataset_id: DatasetId, epoch: Epoch) -> str:
        return _tx(self.board.fixSeed(dataset_id, epoch))

    def committee(self, dataset_id: DatasetId, epoch: Epoch) -> list[ChecksumAddress]:
        return self.board.committee(dataset_id, epoch)

    def epoch_records(self, dataset_id: DatasetId, epoch: Epoch) -> list[SubmissionRecord]:
        """The epoch's files from its ``SubmissionRegistered`` logs, in chain order (v2 keeps
        no per-epoch array on chain)."""
        return self.registry.epoch_records(dataset_id, epoch)

    def commitment_of(self, dataset_id: DatasetId, epoch: Epoch, who: str) -> bytes:
        return self.board.commitmentOf(dataset_id, epoch, who)

    def revealed(self, dataset_id: DatasetId, epoch: Epoch, who: str) -> bool:
        return self.board.revealed(dataset_id, epoch, who)

    def commit(self, dataset_id: DatasetId, epoch: Epoch, commitment: bytes) -> str:
        return _tx(self.board.commit(dataset_id, epoch, commitment))

    def reveal(
        self,
        dataset_id: DatasetId,
        epoch: Epoch,
        root: bytes,
        total: int,
        vector_cid: str,
        salt: bytes,
    ) -> str:
        return _tx(self.board.reveal(dataset_id, epoch, root, total, vector_cid, salt))

    def status(self, dataset_id: DatasetId, epoch: Epoch) -> EpochStatus:
        return self.board.epochStatus(dataset_id, epoch)

    def finalize(self, dataset_id: DatasetId, epoch: Epoch) -> str:
        return _tx(self.board.finalize(dataset_id, epoch))

    def validator_reward(self, dataset_id: DatasetId, epoch: Epoch, who: str) -> int:
        return self.rewards.validatorReward(dataset_id, epoch, who)

    def claim_validator_reward(self, dataset_id: DatasetId, epoch: Epoch) -> str:
        return _tx(self.rewards.claimValidatorReward(dataset_id, epoch))


class CustodyOpener:
    """Opens epoch files and the validation set in memory, as a committee member scoring.

    Storage re-hashes every block against the CID; the header must hash to what the chain
    registered; the data key comes from ``t`` committee shares asked for with purpose SCORING;
    the body must authenticate and its sha256 equal the on-chain content commitment
    (:func:`node.custody.files.decrypt_file` does all of it). The sink is a ``BytesIO``:
    plaintext never touches disk.

    :meth:`open_batch` opens many files of the epoch with one signed batch per peer
    (:func:`node.custody.files.decrypt_files`) and the same checks file by file; the daemon
    uses it (:class:`validator.daemon.driver.BatchOpener`).
    """

    def __init__(
        self,
        *,
        store: BlobStore,
        view: ChainEpochView,
        chain_id: int,
        client: ShareClient,
        peers: Callable[[int], tuple[list[Peer], int]],
        keep_plaintext: Path | None = None,
    ) -> None:
        self._keep = keep_plaintext
        self._store = store
        self._view = view
        self._chain_id = chain_id
        self._client = client
        self._peers = peers

    def _keep_copy(self, epoch: Epoch, file: SubmissionRecord, data: bytes) -> None:
        """Write the plaintext under ``keep_plaintext`` (an operator's explicit choice,
        ``--keep-plaintext DIR``; off by default)."""
        if self._keep is None:
            return
        self._keep.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self._keep / f"epoch-{int(epoch)}-{file.file_id.hex()}.jsonl"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)

    def _open(self, file: SubmissionRecord, epoch: Epoch, *, keep: bool = True) -> bytes:
        peers, threshold = self._peers(file.ritual_id)
        ask = ShareAsk(
            purpose=Purpose.SCORING, dataset_id=file.dataset_id, file_id=file.file_id, epoch=epoch
        )
        sink = io.BytesIO()
        decrypt_file(
            store=self._store,
            file=file,
            chain_id=self._chain_id,
            registry=self._view.registry.address,
            client=self._client,
            ask=ask,
            peers=peers,
            threshold=threshold,
            open_sink=lambda: sink,
        )
        data = sink.getvalue()
        if keep:
            self._keep_copy(epoch, file, data)
        return data

    def open_batch(
        self,
        dataset_id: DatasetId,
        epoch: Epoch,
        records: Sequence[SubmissionRecord],
        deliver: Deliver,
    ) -> OpenStats:
        """Open ``records`` with batched shares, handing each file to ``deliver`` as soon as it
        opens or fails (its plaintext is then dropped here: one file's bytes at a time).

        Files are grouped by ritual (one committee each) and asked for in one signed batch per
        peer per group. Each file fails exactly as :meth:`__call__` would fail it alone
        (``FileNotInEpoch``, a header naming another contributor, too few shares, a body that
        does not authenticate, a missing blob): :func:`decrypt_files` reports every file's own
        error. Should a batch call itself raise (a bug or a transport failure outside the
        per-file errors), its files are opened one by one instead, so one file's trouble never
        fails its chunk-mates.
        """
        cost = OpenStats()
        by_ritual: dict[int, list[SubmissionRecord]] = {}
        for r in records:
            if r.dataset_id != dataset_id or r.epoch != epoch:
                deliver(r, FileNotInEpoch(r.file_id.hex(), int(epoch)))
                continue
            by_ritual.setdefault(int(r.ritual_id), []).append(r)
        for ritual_id, group in by_ritual.items():
            delivered: set[bytes] = set()

            def tracked(
                r: SubmissionRecord, got: bytes | Exception, delivered: set[bytes] = delivered
            ) -> None:
                delivered.add(bytes(r.file_id))
                deliver(r, got)

            try:
                self._open_group(ritual_id, group, dataset_id, epoch, tracked, cost)
            except Exception:  # the batch as a whole failed: each file alone, its own verdict
                for r in group:
                    if bytes(r.file_id) in delivered:
                        continue
                    try:
                        data = self._open(r, epoch)
                    except Exception as err:  # judged per file by the daemon
                        deliver(r, err)
                    else:
                        deliver(r, data)
        return cost

    def _open_group(
        self,
        ritual_id: int,
        group: Sequence[SubmissionRecord],
        dataset_id: DatasetId,
        epoch: Epoch,
        deliver: Deliver,
        cost: OpenStats,
    ) -> None:
        """One ritual's files through :func:`decrypt_files`, each delivered as it settles."""
        peers, threshold = self._peers(ritual_id)
        sinks: dict[bytes, io.BytesIO] = {}

        def sink(file: SubmissionRecord) -> io.BytesIO:
            sinks[bytes(file.file_id)] = io.BytesIO()
            return sinks[bytes(file.file_id)]

        def done(file: SubmissionRecord, outcome: FileOutcome) -> None:
            buf = sinks.pop(bytes(file.file_id), None)
            if isinstance(outcome, Exception):
                deliver(file, outcome)
            elif buf is None:
                deliver(file, RuntimeError("decrypt_files settled a file without its sink"))
            else:
                data = buf.getvalue()
                buf.close()  # the daemon parses and drops it: one plaintext at a time here
                self._keep_copy(epoch, file, data)
                deliver(file, data)

        stats = BatchStats()
        decrypt_files(
            store=self._store,
            files=group,
            chain_id=self._chain_id,
            registry=self._view.registry.address,
            client=self._client,
            ask=BatchAsk(Purpose.SCORING, int(dataset_id), (), epoch=int(epoch)),
            peers=peers,
            threshold=threshold,
            open_sink=sink,
            on_done=done,
            stats=stats,
        )
        cost.shares_requested += stats.slots
        cost.batches += stats.requests
        cost.gather_s += stats.gather_s

    def __call__(self, dataset_id: DatasetId, epoch: Epoch, record: SubmissionRecord) -> bytes:
        """Open one file of the epoch from the record its ``SubmissionRegistered`` log gave
        (no further chain read). ``decrypt_file`` refuses a header naming another contributor
        than the record (:class:`~node.custody.errors.HeaderNamesAnotherContributor`)."""
        if record.dataset_id != dataset_id or record.epoch != epoch:
            raise FileNotInEpoch(record.file_id.hex(), int(epoch))
        return self._open(record, epoch)

    def validation_set(self, dataset_id: DatasetId, epoch: Epoch) -> bytes:
        """The dataset's secret validation set, checked against DatasetConfig.

        Its file id is the derived one (:func:`node.protocol.ids.validation_file_id`) and its
        ritual the one its sealed header names; the CID, header hash and plaintext commitment
        are the on-chain ones, so a substituted set fails closed. Never written to disk, even
        with ``keep_plaintext``.
        """
        d = self._view.config.dataset(dataset_id)
        reader = IteratorReader(
            iter(self._store.cat(Cid(d.validation_set_cid), max_bytes=MAX_VALIDATION_SET_BYTES))
        )
        try:
            header = read_header(reader).header
        finally:
            reader.close()
        record = SubmissionRecord.of_validation_set(
            d, dataset_id=dataset_id, epoch=epoch, ritual_id=header.ritual_id
        )
        return self._open(record, epoch, keep=False)
