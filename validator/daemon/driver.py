"""The scoring validator's daemon: one :meth:`ValidatorDaemon.tick` advances every open epoch.

Each tick reads the chain head, and for each recent epoch of the dataset moves the journaled
state machine (:mod:`validator.daemon.state`) as far as the chain allows:

``ASSIGNED`` (closed for ``confirmations`` blocks, seed fixed, we are on the committee) →
``FETCHED`` (files listed from the epoch's ``SubmissionRegistered`` logs, ciphertexts fetched
and opened in memory) → ``VALUED`` (scored; the score vector's nano units, root, total and a
fresh salt fsync'd) → the vector's canonical bytes published to the blob store and its CID
journaled → ``COMMITTED`` (the root) → ``REVEALED`` (root, total, CID, salt, in the reveal
window) → ``CLAIMED`` (after finalization), or ``MISSED`` with a reason.

Protocol v2 (issue #16): the validator commits to one Merkle root over the whole vector
(:mod:`node.protocol.scorevector`), so honest validators must produce byte-identical vectors:
the units come from the engine's integers (:func:`validator.daemon.scoring.score_epoch`), the
vector lists every file of the epoch (zeros included), and its bytes, root and CID are rebuilt
from the journal (:meth:`validator.daemon.journal.EpochRecord.vector`) whenever needed.

Restart safety comes from two rules: every chain-visible action is preceded by a durable
journal write that makes it repeatable with the *same* bytes, and every tick first reconciles
the journal with the chain (:func:`validator.epoch.decide_recovery`) before acting. Plaintexts
live only in this process's memory; after a restart in ``FETCHED`` they are fetched again.

Nothing a contributor sends, and no failure of one epoch, stops the daemon:

* a file that cannot be opened is retried until the epoch's availability deadline unless the
  failure is a fact about the file itself (:mod:`validator.daemon.availability` defines both),
  and then scores 0 with the reason; ``ASSIGNED`` waits for that, so a temporary refusal never
  becomes a committed 0;
* a file that opens but cannot be read is flagged and scores 0 (:mod:`validator.daemon.scoring`);
* any other exception in an epoch's step, in or outside the project's error tree, is logged
  (with its traceback when it is outside the tree), counted (:class:`DaemonStats`) and the
  epoch retried with a backoff counted in ticks (1, 2, 4, … up to :data:`MAX_BACKOFF_TICKS`)
  until its window closes; it then ends MISSED with the last error in the reason. Only
  base exceptions that are not ``Exception`` (Ctrl-C, SystemExit) leave
  :meth:`ValidatorDaemon.tick`;
* a journal record that cannot be read back is moved aside and its epoch recorded MISSED.

The epoch seed is ``keccak(blockhash(close_block - 1), dataset, epoch)``, and ``blockhash`` only
reaches 256 blocks back, so ``ScoreBoard.fixSeed`` reverts for ever once a fixing transaction
would land past ``close_block + 255``. Then nobody can commit (``commit`` fixes the seed too),
finalization finds no committee and no quorum, and the epoch pays nobody: the contract has no
way back. So every committee candidate fixes the seed itself, after its own short delay
(:func:`seed_delay_for`) during the first :data:`SEED_URGENT_BLOCKS` blocks after the close, and
from then on at once whatever its delay; past the blockhash window it records the epoch MISSED
instead of sending a transaction that must revert.

Everything the daemon touches is injected (chain view, journal, file opener, validation-set
loader, scorer, salt source), so tests drive ticks deterministically with fakes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable

from eth_typing import ChecksumAddress

from node.chain.dataset_config import EpochWindows
from node.chain.registry import SubmissionRecord
from node.chain.scoreboard import EpochStatus
from node.custody.errors import HeaderNamesAnotherContributor
from node.errors import DataDaoError
from node.protocol.scorevector import ScoreVector
from node.types import DatasetId, Epoch, FileId
from validator.daemon.availability import availability_deadline, is_invalid
from validator.daemon.commitment import ScoreCommitment, new_salt
from validator.daemon.journal import CorruptRecord, EpochRecord, Journal, JournalError
from validator.daemon.scoring import EpochScores, FileInput, ScoringError
from validator.daemon.state import ZERO32, EpochState, RecoveryAction, decide_recovery

__all__ = [
    "MAX_BACKOFF_TICKS",
    "MAX_VALIDATION_SET_BYTES",
    "SEED_URGENT_BLOCKS",
    "BatchOpener",
    "DaemonConfig",
    "DaemonStats",
    "Deliver",
    "EpochChain",
    "FileDigest",
    "FileOpener",
    "OpenStats",
    "Scorer",
    "ValidatorDaemon",
    "VectorPublisher",
    "seed_delay_for",
]

MAX_VALIDATION_SET_BYTES = 1 << 30  # the header is read from the front; this caps the stream
MAX_BACKOFF_TICKS = 8
"""The longest wait, in ticks, before an epoch step or a file that failed is tried again."""
SEED_URGENT_BLOCKS = 32
"""Blocks after the close during which a validator leaves fixing the seed to whoever's delay is
shorter; afterwards it sends the transaction at once (see the module doc: 256 is the end)."""
BLOCKHASH_WINDOW = 256
"""``blockhash(n)`` is non-zero only in blocks ``n + 1 .. n + 256``."""

log = logging.getLogger(__name__)


class EpochChain(Protocol):
    """What the daemon reads and sends; writes return the transaction hash (hex).

    Writes raise :class:`node.errors.ChainError` on a revert or a transport failure.
    """

    def head(self) -> int: ...
    def current_epoch(self, dataset_id: DatasetId) -> Epoch: ...
    def windows(self, dataset_id: DatasetId, epoch: Epoch) -> EpochWindows: ...
    def epoch_seed(self, dataset_id: DatasetId, epoch: Epoch) -> bytes: ...
    def fix_seed(self, dataset_id: DatasetId, epoch: Epoch) -> str: ...
    def committee(self, dataset_id: DatasetId, epoch: Epoch) -> list[ChecksumAddress]: ...
    def epoch_records(self, dataset_id: DatasetId, epoch: Epoch) -> list[SubmissionRecord]: ...
    def commitment_of(self, dataset_id: DatasetId, epoch: Epoch, who: str) -> bytes: ...
    def revealed(self, dataset_id: DatasetId, epoch: Epoch, who: str) -> bool: ...
    def commit(self, dataset_id: DatasetId, epoch: Epoch, commitment: bytes) -> str: ...
    def reveal(
        self,
        dataset_id: DatasetId,
        epoch: Epoch,
        root: bytes,
        total: int,
        vector_cid: str,
        salt: bytes,
    ) -> str: ...
    def status(self, dataset_id: DatasetId, epoch: Epoch) -> EpochStatus: ...
    def finalize(self, dataset_id: DatasetId, epoch: Epoch) -> str: ...
    def validator_reward(self, dataset_id: DatasetId, epoch: Epoch, who: str) -> int: ...
    def claim_validator_reward(self, dataset_id: DatasetId, epoch: Epoch) -> str: ...


# (dataset, epoch, the file's registry record) -> plaintext, opened in memory: storage fetch
# with CID check, header checked against the record (its contributor included), DEK by
# threshold decryption with purpose SCORING, authenticated decryption. Raises DataDaoError.
FileOpener = Callable[[DatasetId, Epoch, SubmissionRecord], bytes]
# (the file's record, its plaintext or why it did not open): how a batch opener hands each file
# over as soon as its outcome is final, so the daemon can parse and drop it at once.
Deliver = Callable[[SubmissionRecord, "bytes | Exception"], None]
# an opened file (plaintext) -> what valuation needs of it (validator.daemon.scoring.prepare_file
# bound to the dataset's spec), so no epoch's worth of plaintext is ever held. Never raises.
FileDigest = Callable[[FileInput], FileInput]


@dataclass
class OpenStats:
    """What one :meth:`BatchOpener.open_batch` call cost: share slots asked (files named in
    signed batches times peers asked), signed batch requests sent, and seconds spent gathering
    shares (wall time of the batched gathers)."""

    shares_requested: int = 0
    batches: int = 0
    gather_s: float = 0.0


@runtime_checkable
class BatchOpener(Protocol):
    """A :data:`FileOpener` that can also open many files of one epoch with batched shares.

    ``open_batch`` must call ``deliver`` exactly once per record, with the plaintext or the
    exception that file's open raised, exactly as the single opener would have raised it for
    that file alone (one file's failure never fails another); it may raise only for a failure
    that concerns the whole call, and then the files it has not delivered count as failing
    with that error.
    """

    def __call__(self, dataset_id: DatasetId, epoch: Epoch, record: SubmissionRecord) -> bytes: ...

    def open_batch(
        self,
        dataset_id: DatasetId,
        epoch: Epoch,
        records: Sequence[SubmissionRecord],
        deliver: Deliver,
    ) -> OpenStats: ...


# the score vector's canonical bytes -> their CID on the validator's blob store (the node's
# UnixFS importer, so the CID is what Kubo would give). Raises StorageError.
VectorPublisher = Callable[[bytes], str]
# (dataset, epoch) -> the validation set's plaintext, checked against its on-chain commitment.
ValidationLoader = Callable[[DatasetId, Epoch], bytes]
# (files, validation plaintext, epoch seed) -> scores (validator.scoring.score_epoch, bound).
Scorer = Callable[[Sequence[FileInput], bytes, bytes], EpochScores]
# (epoch, scores) -> None: publish the epoch's nutrition label. Called after the scores are
# journaled; a failure is logged and never blocks the commit.
Reporter = Callable[[Epoch, EpochScores], None]


@dataclass(frozen=True, slots=True)
class DaemonConfig:
    """Identity and pacing.

    ``confirmations``: blocks past an epoch's close before its file list is trusted (a reorg
    shallower than this cannot change what we score). ``lookback``: how many past epochs each
    tick re-examines (to reveal and claim epochs still in flight). ``fix_seed_delay_s``: how long
    to leave fixing a closed epoch's seed to someone else. Fixing is permissionless and only
    the first call succeeds; when every member fires at once, the losers' reverted transactions
    still use block space (on an automining chain, a block each), so each validator waits its
    own delay (:func:`seed_delay_for`) and looks again.

    ``open_chunk``: files per batched share request (one signed batch per peer per chunk; the
    share services cap a batch at 256). ``open_workers``: chunks opened at once (threads: the
    work is waiting on peers and storage, and Ferveo's combine). Memory while opening is about
    ``open_workers`` plaintexts at a time: each file is parsed and its bytes dropped as soon as
    it opens. Two by default: every chunk costs each share service ``open_chunk`` Ferveo shares,
    and with every committee member's daemon asking at once, more chunks in flight only queue
    on the services' CPUs (issue #19: 4 daemons x 4 chunks on 2 cores).
    """

    chain_id: int
    score_board: ChecksumAddress
    dataset_id: DatasetId
    validator: ChecksumAddress
    confirmations: int = 2
    lookback: int = 4
    fix_seed_delay_s: float = 0.0
    open_chunk: int = 64
    open_workers: int = 2

    def __post_init__(self) -> None:
        if not 1 <= self.open_chunk <= 256:
            raise ValueError("open_chunk must be in 1..256 (the share services' batch cap)")
        if self.open_workers < 1:
            raise ValueError("open_workers must be >= 1")


def seed_delay_for(validator: str, *, spread_s: float = 2.0) -> float:
    """A validator's own delay before it fixes a seed: spread over ``[0, spread_s)`` by address,
    so the members of a committee do not all send the same transaction in the same instant."""
    return (int(validator, 16) % 997) / 997 * spread_s


@dataclass
class DaemonStats:
    """Counters exported on /metrics: validator/daemon/metrics.py exports every numeric field
    and every ``dict[str, number]`` field generically, so a new counter needs no metrics edit."""

    ticks: int = 0
    errors: int = 0
    last_head: int = 0
    last_tick_at: float = 0.0  # clock() at the end of the last completed tick
    transitions: dict[str, int] = field(default_factory=dict)
    missed: int = 0
    unexpected: int = field(
        default=0,
        metadata={
            "help": "Exceptions outside the error tree (bugs reached by data or the network), "
            "contained in an epoch step or a file open and logged with their traceback."
        },
    )
    file_retries: int = field(
        default=0,
        metadata={
            "help": "File opens that failed transiently before the availability deadline "
            "(share refusals, storage timeouts) and will be tried again."
        },
    )
    files_zeroed: dict[str, int] = field(
        default_factory=dict,
        metadata={
            "help": "Files scored 0 because they could not be opened, by verdict: invalid "
            "(a fact about the stored bytes) or unavailable (still failing at the deadline).",
            "label": "verdict",
        },
    )
    quarantined: int = field(
        default=0,
        metadata={"help": "Corrupt journal records moved aside (their epoch recorded MISSED)."},
    )
    seeds_fixed: int = field(
        default=0, metadata={"help": "ScoreBoard.fixSeed transactions this daemon sent."}
    )
    files_opened: int = field(
        default=0, metadata={"help": "Epoch files opened (decrypted and parsed) successfully."}
    )
    share_batches: int = field(
        default=0, metadata={"help": "Signed batched share requests sent to peers."}
    )
    shares_requested: int = field(
        default=0,
        metadata={"help": "Share slots asked of peers in batches (files named x peers asked)."},
    )
    # wall seconds by phase: "list" (the epoch's SubmissionRegistered logs), "decrypt" (the
    # whole opening pass: storage + shares + decryption + parsing, chunks in parallel, the
    # validation set included), "gather" (batched share gathering, summed over the parallel
    # chunks, so it may exceed "decrypt"), "parse" (plaintext to records, summed likewise),
    # "value" (the engine), "publish" (the score vector to the blob store), "commit", "reveal",
    # "finalize" (their transactions), "tick" (whole ticks: the rest is chain reads and journal
    # writes)
    seconds: dict[str, float] = field(default_factory=dict)
    errors_by_class: dict[str, int] = field(default_factory=dict)  # failed steps, by error class
    # called with each add_time's (phase, seconds): /metrics feeds its latency histograms here
    timers: list[Callable[[str, float], None]] = field(default_factory=list, repr=False)

    def add_time(self, phase: str, seconds: float) -> None:
        self.seconds[phase] = self.seconds.get(phase, 0.0) + seconds
        for observe in self.timers:
            observe(phase, seconds)


@dataclass
class _Opening:
    """One epoch's files while they are being opened: memory only (plaintexts never hit disk)."""

    records: tuple[SubmissionRecord, ...]
    done: dict[bytes, FileInput] = field(default_factory=dict)  # opened, or judged (a zero)
    failures: dict[bytes, int] = field(default_factory=dict)  # consecutive transient failures
    not_before: dict[bytes, int] = field(default_factory=dict)  # tick of the next attempt

    @property
    def file_ids(self) -> tuple[bytes, ...]:
        return tuple(bytes(r.file_id) for r in self.records)

    def complete(self) -> list[FileInput] | None:
        if len(self.done) < len(self.records):
            return None
        return [self.done[f] for f in self.file_ids]


def _describe(err: BaseException) -> str:
    """An error for a reason or a log line: class and message, bounded (messages of the
    project's errors name ids and causes, never data)."""
    text = str(err)
    return f"{type(err).__name__}: {text[:300]}" if text else type(err).__name__


def _backoff(failures: int) -> int:
    """Ticks to wait after the n-th consecutive failure: 1 (the next tick), 2, 4, ..."""
    return int(min(2 ** max(failures - 1, 0), MAX_BACKOFF_TICKS))


class ValidatorDaemon:
    """Advances the per-epoch state machines; call :meth:`tick` on a timer."""

    def __init__(
        self,
        config: DaemonConfig,
        chain: EpochChain,
        journal: Journal,
        opener: FileOpener,
        load_validation: ValidationLoader,
        scorer: Scorer,
        salt_source: Callable[[], bytes] = new_salt,
        clock: Callable[[], float] = time.time,
        reporter: Reporter | None = None,
        *,
        publish: VectorPublisher,
        digest: FileDigest | None = None,
    ) -> None:
        self._cfg = config
        self._chain = chain
        self._journal = journal
        self._open = opener
        self._load_validation = load_validation
        self._score = scorer
        self._salt = salt_source
        self._clock = clock
        self._report = reporter
        self._publish = publish
        self._digest = digest
        self._opening: dict[int, _Opening] = {}  # epoch -> its files being opened, memory only
        self._validation: bytes | None = None  # the secret set, memory only
        self._seed_due: dict[int, float] = {}  # epoch -> when we fix its seed if nobody has
        self._failures: dict[int, int] = {}  # epoch -> consecutive failed steps
        self._not_before: dict[int, int] = {}  # epoch -> tick of its next attempt
        self._last_error: dict[int, str] = {}  # epoch -> the last failure, for a MISSED reason
        self.stats = DaemonStats()

    def tick(self) -> None:
        """One pass over recent epochs.

        Never raises an ``Exception``: a head that cannot be read skips the tick, and a failed
        epoch step is logged, counted and retried with a backoff (see the module doc).
        """
        t0 = time.perf_counter()
        self.stats.ticks += 1
        try:
            head = self._chain.head()
            current = int(self._chain.current_epoch(self._cfg.dataset_id))
        except Exception as err:  # an RPC that does not answer must not end the process
            self._count_failure(None, err, "cannot read the chain head; skipping this tick")
            return
        self.stats.last_head = head
        for e in range(max(0, current - self._cfg.lookback), current + 1):
            if self._not_before.get(e, 0) > self.stats.ticks:
                continue  # backing off after a failure
            try:
                self._advance(Epoch(e), head)
            except Exception as err:  # contained per epoch: see the module doc
                n = self._failures[e] = self._failures.get(e, 0) + 1
                self._not_before[e] = self.stats.ticks + _backoff(n)
                self._last_error[e] = _describe(err)
                self._count_failure(e, err, "epoch step failed; retrying with backoff")
            else:
                self._failures.pop(e, None)
                self._not_before.pop(e, None)
        tracked = {*self._opening, *self._failures, *self._last_error, *self._seed_due}
        for e in [k for k in tracked if k < current - self._cfg.lookback]:
            self._forget(e)  # out of sight: drop its bookkeeping
        self.stats.last_tick_at = self._clock()
        self.stats.add_time("tick", time.perf_counter() - t0)

    def _count_failure(self, epoch: int | None, err: Exception, msg: str) -> None:
        self.stats.errors += 1
        name = type(err).__name__
        self.stats.errors_by_class[name] = self.stats.errors_by_class.get(name, 0) + 1
        extra = {
            "epoch": epoch,
            "error": name,
            "detail": _describe(err),
            "failures": self._failures.get(epoch, 0) if epoch is not None else 0,
        }
        if isinstance(err, DataDaoError):
            log.warning(msg, extra=extra)
        else:  # a bug, reached by data or the network: keep the traceback for the post-mortem
            self.stats.unexpected += 1
            log.error(msg, extra=extra, exc_info=err)

    def _forget(self, epoch: int) -> None:
        self._opening.pop(epoch, None)
        self._failures.pop(epoch, None)
        self._not_before.pop(epoch, None)
        self._last_error.pop(epoch, None)
        self._seed_due.pop(epoch, None)

    def _miss_reason(self, epoch: Epoch, reason: str) -> str:
        last = self._last_error.get(int(epoch))
        return f"{reason} (last error: {last})" if last else reason

    @property
    def journal(self) -> Journal:
        return self._journal

    # -- one epoch -------------------------------------------------------------------------

    def _save(self, old: EpochRecord, new: EpochRecord) -> EpochRecord:
        self._journal.save(new)
        if new.state is not old.state:
            key = new.state.value
            self.stats.transitions[key] = self.stats.transitions.get(key, 0) + 1
            if new.state is EpochState.MISSED:
                self.stats.missed += 1
            log.info(
                "epoch state",
                extra={
                    "epoch": new.epoch,
                    "from": old.state.value,
                    "to": new.state.value,
                    "reason": new.missed_reason,
                    "tx": new.tx,
                    "seconds": {k: round(v, 3) for k, v in self.stats.seconds.items()},
                },
            )
        return new

    def _begin(self, epoch: Epoch, w: EpochWindows, head: int) -> EpochRecord | None:
        ds, me = self._cfg.dataset_id, self._cfg.validator
        if head + 1 >= w.reveal_start:
            return None  # an epoch we never started and can no longer commit in: not ours
        rec = EpochRecord(dataset_id=int(ds), epoch=int(epoch))
        if self._chain.epoch_seed(ds, epoch) == ZERO32:
            # the next block is the earliest a fixSeed can land; blockhash(close - 1) is gone
            # from block close + 256 on, and then fixSeed (and commit) revert for ever
            if head + 1 > w.close_block - 1 + BLOCKHASH_WINDOW:
                self._journal.save(rec)
                return self._save(
                    rec,
                    rec.miss(
                        "nobody fixed the epoch seed within 256 blocks of the close; "
                        "blockhash(close - 1) is gone and the epoch can no longer be scored"
                    ),
                )
            due = self._seed_due.setdefault(int(epoch), self._clock() + self._cfg.fix_seed_delay_s)
            urgent = head >= w.close_block + SEED_URGENT_BLOCKS
            if self._clock() < due and not urgent:
                return None  # give the validators with a shorter delay their turn
            self._chain.fix_seed(ds, epoch)  # also fixes the committee; permissionless
            self.stats.seeds_fixed += 1
            log.info("fixed the epoch seed", extra={"epoch": int(epoch), "urgent": urgent})
        self._journal.save(rec)
        if me not in self._chain.committee(ds, epoch):
            return self._save(rec, rec.miss("not on the committee for this epoch"))
        return rec

    def _advance(self, epoch: Epoch, head: int) -> None:
        ds, me = self._cfg.dataset_id, self._cfg.validator
        w = self._chain.windows(ds, epoch)
        if head < w.close_block + self._cfg.confirmations:
            return  # still open for submissions, or not yet deep enough to be reorg-safe
        try:
            rec = self._journal.load(int(ds), int(epoch))
        except CorruptRecord as err:
            rec = self._quarantine(epoch, err)
        if rec is None:
            rec = self._begin(epoch, w, head)
            if rec is None:
                return
        commit_open = head + 1 < w.reveal_start
        # bounded: each pass takes one step, and a lagging RPC that does not yet show our own
        # commit must not turn into a loop of re-sends within one tick
        for _ in range(len(EpochState)):
            if rec.state in (EpochState.CLAIMED, EpochState.MISSED):
                return
            d = decide_recovery(
                rec.state,
                rec.commitment,
                self._chain.commitment_of(ds, epoch, me),
                self._chain.revealed(ds, epoch, me),
                commit_open=commit_open,
            )
            if d.action is RecoveryAction.MISS:
                self._opening.pop(int(epoch), None)
                rec = self._save(rec, rec.miss(d.reason))
                return
            nxt = self._step(rec, d.action, epoch, w, head, commit_open)
            if nxt is rec:
                return  # waiting for a window
            rec = nxt

    def _quarantine(self, epoch: Epoch, err: CorruptRecord) -> EpochRecord:
        """Move a corrupt record aside and record the epoch MISSED with why (see journal.py:
        the lost record may have held the salt of a commitment already on chain)."""
        ds = int(self._cfg.dataset_id)
        moved = self._journal.quarantine(ds, int(epoch))
        self.stats.quarantined += 1
        log.error(
            "corrupt journal record moved aside",
            extra={"epoch": int(epoch), "reason": str(err), "moved_to": moved.name},
        )
        fresh = EpochRecord(dataset_id=ds, epoch=int(epoch))
        self._opening.pop(int(epoch), None)
        return self._save(
            fresh, fresh.miss(f"journal record was corrupt ({err}); moved aside to {moved.name}")
        )

    def _step(
        self,
        rec: EpochRecord,
        action: RecoveryAction,
        epoch: Epoch,
        w: EpochWindows,
        head: int,
        commit_open: bool,
    ) -> EpochRecord:
        ds = self._cfg.dataset_id
        s = rec.state
        if s is EpochState.ASSIGNED:
            if not commit_open:
                return self._missed(rec, epoch, "commit window closed before scoring")
            files = self._fetch(epoch, w, head)
            if files is None:
                return rec  # some file failed transiently: retried until the deadline
            if not files:  # nothing to score; committing empty arrays would only cost gas
                return self._missed(rec, epoch, "no submissions in this epoch")
            return self._save(
                rec, rec.advance(EpochState.FETCHED, file_ids=tuple(f.file_id for f in files))
            )
        if s is EpochState.FETCHED:
            if not commit_open:
                return self._missed(rec, epoch, "commit window closed before scoring")
            return self._value(rec, epoch, w, head)
        if s is EpochState.VALUED:
            if rec.vector_cid is None:  # published before the commit: a reveal never waits on it
                return self._publish_vector(rec)
            if action is RecoveryAction.SEND_REVEAL:  # the commit landed before a crash
                return self._save(rec, rec.advance(EpochState.COMMITTED))
            return self._commit(rec, epoch)
        if s is EpochState.COMMITTED:
            if action is RecoveryAction.SEND_COMMIT:
                return self._commit(rec, epoch)
            if action is RecoveryAction.AWAIT_CLAIM:  # revealed before a crash
                return self._save(rec, rec.advance(EpochState.REVEALED))
            if head < w.reveal_start:
                return rec
            if head + 1 >= w.finalize_from:
                return self._save(rec, rec.miss("reveal window closed before the reveal"))
            if rec.salt is None or rec.root is None:
                raise JournalError(f"epoch {rec.epoch} is committed without a salt or root")
            if rec.vector_cid is None:  # a record from before the publish step existed
                return self._publish_vector(rec)
            t0 = time.perf_counter()
            tx = self._chain.reveal(ds, epoch, rec.root, rec.total, rec.vector_cid, rec.salt)
            self.stats.add_time("reveal", time.perf_counter() - t0)
            return self._save(rec, rec.advance(EpochState.REVEALED, tx={**rec.tx, "reveal": tx}))
        if s is EpochState.REVEALED:
            return self._claim(rec, epoch, w, head)
        return rec

    def _missed(self, rec: EpochRecord, epoch: Epoch, reason: str) -> EpochRecord:
        self._opening.pop(int(epoch), None)
        return self._save(rec, rec.miss(self._miss_reason(epoch, reason)))

    def _fetch(self, epoch: Epoch, w: EpochWindows, head: int) -> list[FileInput] | None:
        """Open every file of the epoch, or judge it (see :mod:`validator.daemon.availability`).

        The files due an attempt are opened in chunks of ``open_chunk`` (one batched share
        request per peer per chunk when the opener is a :class:`BatchOpener`), ``open_workers``
        chunks at a time; each file is parsed (``digest``) as soon as it opens and its bytes
        dropped. Every file gets its own verdict, exactly as if it had been opened alone.

        Returns the files in chain order once each one is opened or judged, else ``None``
        (some file failed transiently before the deadline; later ticks try it again, and the
        ones already opened stay in memory, parsed).
        """
        ds = self._cfg.dataset_id
        t0 = time.perf_counter()
        records = tuple(self._chain.epoch_records(ds, epoch))
        self.stats.add_time("list", time.perf_counter() - t0)
        if len({bytes(r.file_id) for r in records}) != len(records):
            raise ScoringError("the epoch's logs list a file twice")
        op = self._opening.get(int(epoch))
        if op is None or op.records != records:
            op = self._opening[int(epoch)] = _Opening(records)
        deadline = availability_deadline(w)
        final = head >= deadline  # a failure now is the verdict: no backoff to wait out
        due = [
            r
            for r in records
            if bytes(r.file_id) not in op.done
            and (final or op.not_before.get(bytes(r.file_id), 0) <= self.stats.ticks)
        ]
        if not due:
            return op.complete()
        size = self._cfg.open_chunk
        chunks = [due[i : i + size] for i in range(0, len(due), size)]
        t0 = time.perf_counter()
        workers = min(self._cfg.open_workers, len(chunks))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="open-files") as pool:
            futures = [pool.submit(self._open_chunk, ds, epoch, c) for c in chunks]
            for fut in as_completed(futures):
                chunk, outcomes, cost, parse_s = fut.result()  # _open_chunk never raises
                self.stats.share_batches += cost.batches
                self.stats.shares_requested += cost.shares_requested
                self.stats.add_time("gather", cost.gather_s)
                self.stats.add_time("parse", parse_s)
                for record in chunk:  # verdicts in the main thread, in chain order
                    got = outcomes[bytes(record.file_id)]
                    if isinstance(got, FileInput):
                        op.done[bytes(record.file_id)] = got
                        self.stats.files_opened += 1
                    else:
                        self._open_failed(op, epoch, record, got, final=final, deadline=deadline)
        self.stats.add_time("decrypt", time.perf_counter() - t0)
        return op.complete()

    def _open_chunk(
        self, ds: DatasetId, epoch: Epoch, chunk: Sequence[SubmissionRecord]
    ) -> tuple[Sequence[SubmissionRecord], dict[bytes, FileInput | Exception], OpenStats, float]:
        """Open one chunk (in a worker thread): each file's prepared input or its error.

        Never raises an ``Exception``: a failure of the whole call is each undelivered file's
        error (a bug is not evidence against a contributor, so it is retried like any
        transient failure); verdicts are left to :meth:`_open_failed` in the main thread.
        """
        outcomes: dict[bytes, FileInput | Exception] = {}
        parse_s = 0.0

        def deliver(record: SubmissionRecord, got: bytes | Exception) -> None:
            nonlocal parse_s
            fid = bytes(record.file_id)
            if isinstance(got, Exception):
                outcomes[fid] = got
                return
            t0 = time.perf_counter()
            try:
                # the proof policy sees who registered the file (issue #20)
                f = FileInput(fid, got, contributor=record.contributor)
                outcomes[fid] = self._digest(f) if self._digest is not None else f
            except Exception as err:  # prepare_file never raises; a digest bug is not data's
                outcomes[fid] = err
            parse_s += time.perf_counter() - t0

        cost = OpenStats()
        try:
            if isinstance(self._open, BatchOpener):
                cost = self._open.open_batch(ds, epoch, chunk, deliver)
            else:
                for record in chunk:
                    try:
                        plaintext = self._open(ds, epoch, record)
                    except Exception as err:  # judged per file by _open_failed
                        deliver(record, err)
                    else:
                        deliver(record, plaintext)
        except Exception as err:  # the whole batch failed: every file still open gets it
            for record in chunk:
                outcomes.setdefault(bytes(record.file_id), err)
        for record in chunk:
            outcomes.setdefault(
                bytes(record.file_id), RuntimeError("the opener reported nothing for this file")
            )
        return chunk, outcomes, cost, parse_s

    def _open_failed(
        self,
        op: _Opening,
        epoch: Epoch,
        record: SubmissionRecord,
        err: Exception,
        *,
        final: bool,
        deadline: int,
    ) -> None:
        fid = bytes(record.file_id)
        # the reason names the failure, never the data (the project's errors here are opaque)
        extra = {
            "epoch": int(epoch),
            "file_id": fid.hex(),
            "error": type(err).__name__,
            "detail": _describe(err),
            "deadline": deadline,
        }
        if not isinstance(err, DataDaoError):
            self.stats.unexpected += 1
            log.error("unexpected error opening a file", extra=extra, exc_info=err)
        if isinstance(err, HeaderNamesAnotherContributor):
            # a copy of another contributor's sealed file re-registered under a new account
            verdict, reason = "invalid", f"header names another contributor ({err.named})"
        elif is_invalid(err):
            verdict, reason = "invalid", f"invalid: {_describe(err)}"
        elif final:
            verdict, reason = "unavailable", f"unavailable by block {deadline}: {_describe(err)}"
        else:
            n = op.failures[fid] = op.failures.get(fid, 0) + 1
            op.not_before[fid] = self.stats.ticks + _backoff(n)
            self.stats.file_retries += 1
            log.info("file not available yet; retrying until the deadline", extra=extra)
            return
        op.done[fid] = FileInput(fid, failure=reason, contributor=record.contributor)
        self.stats.files_zeroed[verdict] = self.stats.files_zeroed.get(verdict, 0) + 1
        log.warning(f"file {verdict}; it scores 0", extra=extra)

    def _value(self, rec: EpochRecord, epoch: Epoch, w: EpochWindows, head: int) -> EpochRecord:
        ds = self._cfg.dataset_id
        op = self._opening.get(int(epoch))
        files = op.complete() if op is not None and op.file_ids == rec.file_ids else None
        if files is None:
            files = self._fetch(epoch, w, head)  # after a restart: plaintexts were never on disk
            if files is None:
                return rec  # a transient failure before the deadline: try again later
            if tuple(f.file_id for f in files) != rec.file_ids:
                return self._missed(rec, epoch, "the epoch's file list changed after FETCHED")
        if self._validation is None:
            t0 = time.perf_counter()
            self._validation = self._load_validation(ds, epoch)
            self.stats.add_time("decrypt", time.perf_counter() - t0)
        seed = self._chain.epoch_seed(ds, epoch)
        t0 = time.perf_counter()
        scores = self._score(files, self._validation, seed)
        self.stats.add_time("value", time.perf_counter() - t0)
        self._opening.pop(int(epoch), None)
        salt = self._salt()
        vector = ScoreVector.from_units(
            ds,
            epoch,
            dict(zip((FileId(f) for f in scores.file_ids), scores.units, strict=True)),
        )
        commitment = ScoreCommitment(
            chain_id=self._cfg.chain_id,
            score_board=self._cfg.score_board,
            dataset_id=ds,
            epoch=epoch,
            validator=self._cfg.validator,
            root=vector.root,
            total=vector.total,
            salt=salt,
        ).digest()
        # durable before the commit transaction can exist: this is what makes a reveal certain
        valued = self._save(
            rec,
            rec.advance(
                EpochState.VALUED,
                file_ids=scores.file_ids,
                units=tuple(scores.units),
                reasons=dict(scores.reasons),
                salt=salt,
                commitment=commitment,
                root=vector.root,
                total=vector.total,
                vector_cid=None,
            ),
        )
        if self._report is not None:
            try:
                self._report(epoch, scores)
            except Exception as err:  # a label must never cost a commit
                log.warning(
                    "nutrition label not written",
                    extra={"epoch": int(epoch), "error": type(err).__name__, "detail": str(err)},
                )
        return valued

    def _publish_vector(self, rec: EpochRecord) -> EpochRecord:
        """Publish the journaled vector's canonical bytes and journal the CID (same state).

        The bytes are rebuilt from the journal, so a retry after a crash or a storage failure
        publishes exactly what the commitment binds; a failure is retried by the tick loop
        (the scores are already durable, nothing is valued again).
        """
        vector = rec.vector()
        if vector.root != rec.root:
            raise JournalError(f"epoch {rec.epoch}: the journaled root is not the units' root")
        t0 = time.perf_counter()
        cid = str(self._publish(vector.encode()))
        self.stats.add_time("publish", time.perf_counter() - t0)
        log.info("score vector published", extra={"epoch": rec.epoch, "cid": cid})
        return self._save(rec, replace(rec, vector_cid=cid))

    def _commit(self, rec: EpochRecord, epoch: Epoch) -> EpochRecord:
        """Send the *journaled* commitment (first time, or again after a lost transaction)."""
        if rec.commitment is None:
            raise JournalError(f"epoch {rec.epoch} is {rec.state} without a commitment")
        t0 = time.perf_counter()
        tx = self._chain.commit(self._cfg.dataset_id, epoch, rec.commitment)
        self.stats.add_time("commit", time.perf_counter() - t0)
        txs = {**rec.tx, "commit": tx}
        if rec.state is EpochState.COMMITTED:
            return self._save(rec, replace(rec, tx=txs))
        return self._save(rec, rec.advance(EpochState.COMMITTED, tx=txs))

    def _claim(self, rec: EpochRecord, epoch: Epoch, w: EpochWindows, head: int) -> EpochRecord:
        ds, me = self._cfg.dataset_id, self._cfg.validator
        if head < w.finalize_from:
            return rec
        if not self._chain.status(ds, epoch).finalized:
            t0 = time.perf_counter()
            self._chain.finalize(ds, epoch)  # permissionless; a racing finalizer is retried
            self.stats.add_time("finalize", time.perf_counter() - t0)
        if self._chain.validator_reward(ds, epoch, me) == 0:
            return self._save(rec, rec.advance(EpochState.CLAIMED, tx={**rec.tx, "claim": ""}))
        tx = self._chain.claim_validator_reward(ds, epoch)
        return self._save(rec, rec.advance(EpochState.CLAIMED, tx={**rec.tx, "claim": tx}))
