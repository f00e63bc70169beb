"""What a validator checks, on its own RPC, before it creates a decryption share.

Reads happen at one pinned block, ``latest - confirmations``, so every check in one request sees
the same state and none sees a block that may still be reorganised away; reads at that block are
cached by its hash (:class:`ChainView`). In order:

* **access** (a renter): ``AccessRegistry.access(reqId)`` exists (else *not granted*), the
  EIP-712 signer is the renter (checked first: a stranger costs one cached read), the dataset
  matches, ``isGranted(reqId)`` (else *grant revoked* or *grant expired*), the
  ``requesterKey`` is the ``renterKey`` governance approved (the share is sealed only to that
  key), and ``inScope(reqId, fileId)``;
* **scoring** (a validator): the signer is in ``ScoreBoard.committee(datasetId, epoch)`` and the
  file was submitted to that dataset in that epoch, or the file is the dataset's secret
  validation set (its id derived by :func:`node.protocol.ids.validation_file_id`): committee
  members need it to score, and its CID, header hash and commitment come from ``DatasetConfig``
  (never from the registry, where anyone could register a file under that id). Its ritual is the
  one its stored header names; the header must hash to the on-chain validation-set header hash.

Then the header is read from storage, never from the requester, and must hash to the
``headerHash`` registered for the file and match the file's on-chain context.

**Protocol v2.** ``SubmissionRegistry.submissionOf`` keeps only who and when (contributor, epoch,
ritual, dataset, bond, registration block); the CID, header hash and content commitment are in
the file's ``SubmissionRegistered`` log, read at its registration block below the pinned one.
The registry cannot look inside a header, so a stranger can register Alice's CID and header
hash under its own address (its file id is then ``keccak(stranger, headerHash)``). The header
names its contributor, so before any share: the stored header must name the record's
contributor, and the requested ``fileId`` must be ``keccak256(abi.encode(contributor,
headerHash))`` (:func:`node.protocol.ids.submission_file_id`); the validation set names the zero
address and keeps its derived id. These checks run on every request, cached header or not
(:func:`check_header`): a header cached for Alice's record must not vouch for the stranger's.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from node.chain.access import AccessRegistry
from node.chain.client import ChainClient
from node.chain.dataset_config import Dataset, DatasetConfig
from node.chain.eip712 import DecryptionRequest, Purpose
from node.chain.errors import ChainUnavailable, ContractRevert
from node.chain.registry import StoredSubmission, SubmissionRecord, SubmissionRegistry
from node.chain.scoreboard import ScoreBoard
from node.custody.streams import IteratorReader
from node.custody.wire import Refusal
from node.errors import (
    ChainError,
    EnvelopeError,
    KeyCustodyError,
    StorageError,
    UnsupportedDdfVersion,
)
from node.protocol.crypto import SealContext, SealedHeader, read_header
from node.protocol.ids import VALIDATION_SET_CONTRIBUTOR, submission_file_id, validation_file_id
from node.storage.base import BlobStore
from node.types import Cid, ContentCommitment, DatasetId, Epoch, RitualId
from validator.shares.ratelimit import LRU

__all__ = [
    "STATUS",
    "ChainView",
    "Pinned",
    "Refused",
    "authorize",
    "authorize_file",
    "authorize_requester",
    "check_header",
    "fetch_header",
    "load_header",
]

STATUS: Final[dict[Refusal, int]] = {
    Refusal.MALFORMED: 400,
    Refusal.WRONG_DOMAIN: 400,
    Refusal.BAD_SIGNATURE: 401,
    Refusal.REQUEST_EXPIRED: 403,
    Refusal.DEADLINE_TOO_FAR: 403,
    Refusal.NOT_GRANTED: 403,
    Refusal.GRANT_EXPIRED: 403,
    Refusal.GRANT_REVOKED: 403,
    Refusal.WRONG_DATASET: 403,
    Refusal.WRONG_SIGNER: 403,
    Refusal.WRONG_REQUESTER_KEY: 403,
    Refusal.OUT_OF_SCOPE: 403,
    Refusal.NOT_COMMITTEE: 403,
    Refusal.WRONG_EPOCH: 403,
    Refusal.UNKNOWN_FILE: 404,
    Refusal.REPLAYED_NONCE: 409,
    Refusal.RITUAL_NOT_SERVED: 409,
    Refusal.TOO_LARGE: 413,
    Refusal.HEADER_MISMATCH: 422,
    Refusal.RATE_LIMITED: 429,
    Refusal.HEADER_UNAVAILABLE: 503,
    Refusal.CHAIN_UNAVAILABLE: 503,
}


class Refused(KeyCustodyError):
    """The service will not serve this request; ``code`` goes back to the requester."""

    def __init__(self, code: Refusal, detail: str) -> None:
        super().__init__(f"{code.value}: {detail}")
        self.code = code
        self.detail = detail

    @property
    def status(self) -> int:
        return STATUS[self.code]


@dataclass(frozen=True, slots=True)
class Pinned:
    """The block every check of one request reads: ``latest - confirmations``."""

    number: int
    hash: bytes
    timestamp: int


_Key = tuple[bytes, str, str, str]


class ChainView:
    """The contracts a share service reads, through one (read-only) client, with caches.

    **Head.** Each request needs the pinned block. One ``eth_getBlockByNumber("latest")`` gives
    the head; concurrent requests share one in-flight read (a request arriving while it is in
    flight takes its answer, which is at most one round trip older than its own would be), so a
    flood costs the RPC at most one head read per round trip, not one per request. The pinned
    block below the head is looked up once per head hash.

    **Reads.** A view call at a fixed block (keyed by the block's *hash*, so a reorg or a devnet
    revert can never serve a stale answer) is immutable: answers and reverts are kept in a
    bounded LRU of ``cache_size`` entries. Junk that names the same grant or committee costs no
    RPC read; junk that names fresh ids is bounded by the service's stranger bucket.
    """

    def __init__(
        self,
        *,
        chain: ChainClient,
        registry: SubmissionRegistry,
        access: AccessRegistry,
        score_board: ScoreBoard,
        config: DatasetConfig,
        confirmations: int,
        cache_size: int = 65_536,
    ) -> None:
        self.chain = chain
        self.registry = registry
        self.access = access
        self.score_board = score_board
        self.config = config
        self.confirmations = confirmations
        self.reads: LRU[_Key, tuple[bool, object]] = LRU(cache_size)
        self.below: LRU[bytes, Pinned] = LRU(256)
        self.rpc_reads = 0  # uncached RPC round trips (a counter for tests and metrics)
        self._head_cv = threading.Condition()
        self._head_gen = 0
        self._head_busy = False
        self._head: Pinned | Refused | None = None
        self._inflight: dict[_Key, threading.Event] = {}
        self._inflight_lock = threading.Lock()

    def pinned_block(self) -> Pinned:
        """``latest - confirmations``: the state every check of one request reads."""
        with self._head_cv:
            if self._head_busy:
                gen = self._head_gen
                while self._head_gen == gen:
                    self._head_cv.wait()
                return self._result()
            self._head_busy = True
        result: Pinned | Refused = Refused(Refusal.CHAIN_UNAVAILABLE, "RPC view unavailable")
        try:
            result = self._fetch_pinned()
        except Refused as err:
            result = err
        except Exception as err:  # an RPC library error we did not foresee: still unavailable
            result = Refused(Refusal.CHAIN_UNAVAILABLE, f"RPC view unavailable: {err!r}")
        finally:  # whatever happened, waiters are released
            with self._head_cv:
                self._head, self._head_busy = result, False
                self._head_gen += 1
                self._head_cv.notify_all()
        with self._head_cv:
            return self._result()

    def _result(self) -> Pinned:
        head = self._head
        if isinstance(head, Pinned):
            return head
        if isinstance(head, Refused):
            raise Refused(head.code, head.detail)
        raise Refused(Refusal.CHAIN_UNAVAILABLE, "no head read yet")  # pragma: no cover

    def _fetch_pinned(self) -> Pinned:
        try:
            self.rpc_reads += 1
            latest = self.chain.w3.eth.get_block("latest")
            head = Pinned(int(latest["number"]), bytes(latest["hash"]), int(latest["timestamp"]))
            if self.confirmations == 0 or head.number == 0:
                return head
            cached = self.below.get(head.hash)
            if cached is not None:
                return cached
            self.rpc_reads += 1
            raw = self.chain.w3.eth.get_block(max(0, head.number - self.confirmations))
            pinned = Pinned(int(raw["number"]), bytes(raw["hash"]), int(raw["timestamp"]))
        except (ChainError, OSError, ValueError, KeyError) as err:  # requests' are OSErrors
            raise Refused(Refusal.CHAIN_UNAVAILABLE, f"RPC view unavailable: {err}") from None
        self.below.put(head.hash, pinned)
        return pinned

    def _once(self, key: _Key, load: Callable[[], tuple[bool, object]]) -> tuple[bool, object]:
        """The cached answer for ``key``, loading it at most once at a time: concurrent requests
        that miss the same key wait for the one read in flight instead of each making their own
        (under load many requests of one block miss together). A load that raises (chain
        unavailable) caches nothing, and the next waiter tries itself."""
        while True:
            hit = self.reads.get(key)
            if hit is not None:
                return hit
            with self._inflight_lock:
                done = self._inflight.get(key)
                leader = done is None
                if done is None:
                    done = self._inflight[key] = threading.Event()
            if not leader:
                done.wait()
                continue
            try:
                with self._inflight_lock:
                    self.rpc_reads += 1
                hit = load()
                self.reads.put(key, hit)
                return hit
            finally:
                with self._inflight_lock:
                    del self._inflight[key]
                done.set()

    def _read(self, fn: Any, block: Pinned) -> object:
        key: _Key = (block.hash, str(fn.address), str(fn.fn_name), repr(fn.args))

        def load() -> tuple[bool, object]:
            try:
                return True, self.chain.call(fn, block=block.number)
            except ChainUnavailable as err:
                raise Refused(Refusal.CHAIN_UNAVAILABLE, str(err)) from None
            except ContractRevert as err:
                return False, err

        ok, value = self._once(key, load)
        if not ok and isinstance(value, ContractRevert):
            raise value
        return value

    def submission(self, file_id: bytes, block: Pinned) -> SubmissionRecord:
        """The file's record at ``block``: storage (who, when) joined with its event (what)."""
        try:
            raw = self._read(self.registry.contract.functions.submissionOf(file_id), block)
        except ContractRevert:
            raise Refused(
                Refusal.UNKNOWN_FILE, f"file 0x{file_id.hex()} is not registered"
            ) from None
        stored = StoredSubmission.from_chain(list(raw))  # type: ignore[call-overload]
        if stored.registered_at > block.number:  # pragma: no cover - a node contradicting itself
            raise Refused(Refusal.CHAIN_UNAVAILABLE, "record registered after the pinned block")
        args = self._registered_event(file_id, stored, block)
        return SubmissionRecord.from_chain(file_id, stored, args)

    def _registered_event(
        self, file_id: bytes, stored: StoredSubmission, block: Pinned
    ) -> dict[str, Any]:
        """The file's ``SubmissionRegistered`` args, from the logs of its registration block.

        Cached like a view call (keyed by the pinned block's hash): the registration block is at
        or below the pinned one, so its logs are as settled as every other read of the request.
        The log must repeat the storage record's file id, contributor, dataset and epoch (a
        provider that ignores topic filters must not pass another file's CID off as this one's).
        """
        key: _Key = (block.hash, str(self.registry.address), "SubmissionRegistered", file_id.hex())

        def load() -> tuple[bool, object]:
            event = self.registry.contract.events["SubmissionRegistered"]()
            filters = {
                "datasetId": int(stored.dataset_id),
                "epoch": int(stored.epoch),
                "fileId": bytes(file_id),
            }
            try:
                logs = list(
                    self.chain.events(
                        event,
                        from_block=stored.registered_at,
                        to_block=stored.registered_at,
                        argument_filters=filters,
                    )
                )
            except (ChainError, OSError, ValueError) as err:
                raise Refused(Refusal.CHAIN_UNAVAILABLE, f"RPC logs unavailable: {err}") from None
            found = [
                dict(log["args"]) for log in logs if _is_event_of(log["args"], file_id, stored)
            ]
            return True, found[0] if found else None

        hit = self._once(key, load)
        args = hit[1]
        if not isinstance(args, dict):
            raise Refused(
                Refusal.CHAIN_UNAVAILABLE,
                f"file 0x{file_id.hex()} is registered but the RPC endpoint returned no "
                f"SubmissionRegistered log at block {stored.registered_at} (does it prune logs?)",
            )
        return args

    def dataset(self, dataset_id: int, block: Pinned) -> Dataset:
        try:
            raw = self._read(self.config.contract.functions.dataset(dataset_id), block)
        except ContractRevert:
            raise Refused(Refusal.WRONG_DATASET, f"dataset {dataset_id} does not exist") from None
        return Dataset(*list(raw))  # type: ignore[call-overload]


def _is_event_of(args: Any, file_id: bytes, stored: StoredSubmission) -> bool:
    try:
        return (
            bytes(args["fileId"]) == bytes(file_id)
            and str(args["contributor"]).lower() == stored.contributor.lower()
            and int(args["datasetId"]) == int(stored.dataset_id)
            and int(args["epoch"]) == int(stored.epoch)
        )
    except (KeyError, TypeError, ValueError):
        return False


def authorize(
    view: ChainView, m: DecryptionRequest, signer: str, *, block: Pinned, store: BlobStore
) -> SubmissionRecord:
    """Check that ``signer`` may have a share of ``m.fileId`` for ``m.purpose`` at ``block``.

    The signer's own entitlement is checked first (the grant's renter, the epoch's committee),
    so a request from a key with no standing is refused after one (cached) read.

    Returns:
        The file's on-chain record (CID, header hash, ritual), read at the same block; for the
        validation set, a record built from ``DatasetConfig`` and the header's ritual.

    Raises:
        Refused: with the first check that failed.
    """
    authorize_requester(view, m, signer, block=block)
    return authorize_file(view, m, block=block, store=store)


def authorize_requester(
    view: ChainView, m: DecryptionRequest, signer: str, *, block: Pinned
) -> None:
    """The signer's standing alone (no file read): grant and renter key, or committee seat.

    A batch runs this once for all its files (``m.fileId`` is not read), then
    :func:`authorize_file` per file.

    Raises:
        Refused: with the first check that failed.
    """
    if m.purpose == Purpose.ACCESS:
        _access_standing(view, m, signer, block)
    elif m.purpose == Purpose.SCORING:
        _authorize_scoring(view, m, signer, block)
    else:  # pragma: no cover - the wire model only admits known purposes
        raise Refused(Refusal.MALFORMED, f"unknown purpose {m.purpose}")


def authorize_file(
    view: ChainView, m: DecryptionRequest, *, block: Pinned, store: BlobStore
) -> SubmissionRecord:
    """The per-file checks, for a signer :func:`authorize_requester` already admitted.

    ACCESS: the file is in the grant's scope; SCORING: the file is the validation set or was
    submitted to the dataset in ``m.epoch``. Then the record's dataset (and epoch) must match.

    Raises:
        Refused: with the first check that failed.
    """
    if m.purpose == Purpose.ACCESS:
        if not view._read(view.access.contract.functions.inScope(m.reqId, m.fileId), block):
            raise Refused(
                Refusal.OUT_OF_SCOPE, f"file 0x{m.fileId.hex()} is outside request {m.reqId}"
            )
    elif m.purpose == Purpose.SCORING:
        if m.fileId == validation_file_id(m.datasetId):
            return _validation_record(view, store, m, block)
    else:  # pragma: no cover - the wire model only admits known purposes
        raise Refused(Refusal.MALFORMED, f"unknown purpose {m.purpose}")
    record = view.submission(m.fileId, block)
    if record.dataset_id != m.datasetId:
        raise Refused(Refusal.WRONG_DATASET, "file belongs to another dataset")
    if m.purpose == Purpose.SCORING and record.epoch != m.epoch:
        raise Refused(
            Refusal.WRONG_EPOCH, f"file was submitted in epoch {record.epoch}, not {m.epoch}"
        )
    return record


def _access_standing(view: ChainView, m: DecryptionRequest, signer: str, block: Pinned) -> None:
    fns = view.access.contract.functions
    try:
        raw: Any = view._read(fns.access(m.reqId), block)
    except ContractRevert:
        raise Refused(Refusal.NOT_GRANTED, f"access request {m.reqId} is not granted") from None
    renter, dataset_id, renter_key = raw[0], raw[5], raw[6]
    if str(renter).lower() != signer.lower():
        raise Refused(Refusal.WRONG_SIGNER, f"request {m.reqId} was not signed by its renter")
    if int(dataset_id) != m.datasetId:
        raise Refused(Refusal.WRONG_DATASET, f"request {m.reqId} is for dataset {dataset_id}")
    if not view._read(fns.isGranted(m.reqId), block):
        # governance can end a grant early (a leaked renter key): say which, so the renter knows
        revoked = int(view._read(fns.revokedAtBlock(m.reqId), block))  # type: ignore[call-overload]
        if revoked:
            raise Refused(
                Refusal.GRANT_REVOKED,
                f"access request {m.reqId} was revoked by governance at block {revoked}",
            )
        raise Refused(Refusal.GRANT_EXPIRED, f"access request {m.reqId} has expired")
    if not hmac.compare_digest(bytes(renter_key), m.requesterKey):
        raise Refused(
            Refusal.WRONG_REQUESTER_KEY, "requesterKey is not the renterKey granted on chain"
        )


def _authorize_scoring(view: ChainView, m: DecryptionRequest, signer: str, block: Pinned) -> None:
    fn = view.score_board.contract.functions.committee(m.datasetId, m.epoch)
    committee = view._read(fn, block)
    if signer.lower() not in {str(a).lower() for a in committee}:  # type: ignore[attr-defined]
        raise Refused(
            Refusal.NOT_COMMITTEE,
            f"{signer} is not on the scoring committee of epoch {m.epoch}",
        )


_MAX_SEALED_BYTES: Final = 1 << 40


def _validation_record(
    view: ChainView, store: BlobStore, m: DecryptionRequest, block: Pinned
) -> SubmissionRecord:
    """The validation set as a record: DatasetConfig's CID, hashes, and its header's ritual.

    The ritual id is read from the stored header only after that header hashes to the on-chain
    ``validationSetHeaderHash``, so it is the ritual the DAO registered, not one a storage
    provider chose. :func:`load_header` then checks the rest of the context as for any file.
    """
    d = view.dataset(m.datasetId, block)
    if not d.validation_set_cid:
        raise Refused(
            Refusal.UNKNOWN_FILE, f"dataset {m.datasetId} has no validation set registered"
        )
    header = _stored_header(store, d.validation_set_cid)
    if not hmac.compare_digest(header.header_hash, bytes(d.validation_set_header_hash)):
        raise Refused(
            Refusal.HEADER_MISMATCH,
            "stored validation set does not hash to DatasetConfig's validationSetHeaderHash",
        )
    return SubmissionRecord.of_validation_set(
        d,
        dataset_id=DatasetId(m.datasetId),
        epoch=Epoch(m.epoch),
        ritual_id=RitualId(int(header.header.ritual_id)),
    )


def _stored_header(store: BlobStore, cid: str) -> SealedHeader:
    """The DDF header at the front of a stored file (only its first block(s) are fetched)."""
    chunks: Iterator[bytes] = iter(())
    try:
        chunks = store.cat(Cid(cid), max_bytes=_MAX_SEALED_BYTES)
        return read_header(IteratorReader(iter(chunks)))
    except StorageError as err:
        raise Refused(Refusal.HEADER_UNAVAILABLE, f"cannot read {cid}: {err}") from None
    except UnsupportedDdfVersion as err:
        raise Refused(Refusal.HEADER_MISMATCH, f"stored file: {err}") from None
    except EnvelopeError:
        raise Refused(Refusal.HEADER_MISMATCH, "stored file has no valid DDF header") from None
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def load_header(
    store: BlobStore, record: SubmissionRecord, *, chain_id: int, registry: str, file_id: bytes
) -> SealedHeader:
    """Read the file's header from storage and check it against the chain.

    :func:`fetch_header` then :func:`check_header`; see both.

    Raises:
        Refused: ``header_unavailable`` (storage) or ``header_mismatch`` (tampered or wrong).
    """
    header = fetch_header(store, record)
    check_header(header, record, chain_id=chain_id, registry=registry, file_id=file_id)
    return header


def fetch_header(store: BlobStore, record: SubmissionRecord) -> SealedHeader:
    """The header stored at ``record.cid``, which must hash to ``record.header_hash``.

    Only the first block(s) are fetched. What it returns depends only on (cid, header hash), so
    a caller may cache it under that key; :func:`check_header` must still run for every record.

    Raises:
        Refused: ``header_unavailable`` (storage) or ``header_mismatch`` (not a DDF v2 header, or
            another header than the one registered).
    """
    header = _stored_header(store, record.cid)
    if not hmac.compare_digest(header.header_hash, record.header_hash):
        raise Refused(
            Refusal.HEADER_MISMATCH, "stored header does not hash to the on-chain headerHash"
        )
    return header


def check_header(
    header: SealedHeader,
    record: SubmissionRecord,
    *,
    chain_id: int,
    registry: str,
    file_id: bytes,
) -> None:
    """Whether ``header`` may be opened as ``file_id`` under ``record``. Cheap; run it always.

    * the header names the record's contributor (a stranger who registered Alice's CID and
      header hash under its own address holds a record whose contributor is not the one Alice's
      header names);
    * ``file_id`` is the record's and is ``keccak256(abi.encode(contributor, headerHash))``, or,
      for the validation set, its derived id with the zero contributor;
    * the rest of the context (chain, registry, dataset, ritual, content commitment) matches.

    Raises:
        Refused: ``header_mismatch``, saying which binding failed.
    """
    h = header.header
    if h.contributor.lower() != str(record.contributor).lower():
        raise Refused(
            Refusal.HEADER_MISMATCH,
            f"stored header names contributor {h.contributor}, "
            f"but the chain records {record.contributor}",
        )
    if not hmac.compare_digest(bytes(record.file_id), bytes(file_id)):
        raise Refused(Refusal.HEADER_MISMATCH, "the record was read for another file id")
    validation_id = validation_file_id(record.dataset_id)
    is_validation_set = (
        bytes(file_id) == validation_id and h.contributor == VALIDATION_SET_CONTRIBUTOR
    )
    if not is_validation_set:
        derived = submission_file_id(h.contributor, header.header_hash)
        if not hmac.compare_digest(derived, bytes(file_id)):
            raise Refused(
                Refusal.HEADER_MISMATCH,
                f"file 0x{bytes(file_id).hex()} is not keccak256(contributor, headerHash) "
                f"of its stored header (0x{derived.hex()})",
            )
    ctx = SealContext(
        chain_id=chain_id,
        registry=registry,  # type: ignore[arg-type]
        dataset_id=DatasetId(record.dataset_id),
        contributor=h.contributor,
        ritual_id=RitualId(record.ritual_id),
        content_commitment=ContentCommitment(record.content_commitment),
    )
    if not ctx.matches(h):
        raise Refused(Refusal.HEADER_MISMATCH, "stored header names another context")
