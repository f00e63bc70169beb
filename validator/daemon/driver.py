"""The scoring validator's daemon: one :meth:`ValidatorDaemon.tick` advances every open epoch.

Each tick reads the chain head, and for each recent epoch of the dataset moves the journaled
state machine (:mod:`validator.daemon.state`) as far as the chain allows:

``ASSIGNED`` (closed for ``confirmations`` blocks, seed fixed, we are on the committee) →
``FETCHED`` (files listed, ciphertexts fetched and opened in memory) → ``VALUED`` (scored;
salt drawn and the record fsync'd) → ``COMMITTED`` → ``REVEALED`` (in the reveal window) →
``CLAIMED`` (after finalization), or ``MISSED`` with a reason.

Restart safety comes from two rules: every chain-visible action is preceded by a durable
journal write that makes it repeatable with the *same* bytes, and every tick first reconciles
the journal with the chain (:func:`validator.epoch.decide_recovery`) before acting. Plaintexts
live only in this process's memory; after a restart in ``FETCHED`` they are fetched again.

Everything the daemon touches is injected (chain view, journal, file opener, validation-set
loader, scorer, salt source), so tests drive ticks deterministically with fakes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from eth_typing import ChecksumAddress

from node.chain.dataset_config import EpochWindows
from node.chain.scoreboard import EpochStatus
from node.errors import DataDaoError
from node.types import Bps, DatasetId, Epoch
from validator.daemon.commitment import ScoreCommitment, new_salt
from validator.daemon.journal import EpochRecord, Journal, JournalError
from validator.daemon.scoring import EpochScores, FileInput
from validator.daemon.state import ZERO32, EpochState, RecoveryAction, decide_recovery

__all__ = [
    "MAX_VALIDATION_SET_BYTES",
    "DaemonConfig",
    "EpochChain",
    "Scorer",
    "ValidatorDaemon",
    "seed_delay_for",
]

MAX_VALIDATION_SET_BYTES = 1 << 30  # the header is read from the front; this caps the stream

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
    def epoch_files(self, dataset_id: DatasetId, epoch: Epoch) -> list[bytes]: ...
    def commitment_of(self, dataset_id: DatasetId, epoch: Epoch, who: str) -> bytes: ...
    def revealed(self, dataset_id: DatasetId, epoch: Epoch, who: str) -> bool: ...
    def commit(self, dataset_id: DatasetId, epoch: Epoch, commitment: bytes) -> str: ...
    def reveal(
        self, dataset_id: DatasetId, epoch: Epoch, scores_bps: list[int], salt: bytes
    ) -> str: ...
    def status(self, dataset_id: DatasetId, epoch: Epoch) -> EpochStatus: ...
    def finalize(self, dataset_id: DatasetId, epoch: Epoch) -> str: ...
    def validator_reward(self, dataset_id: DatasetId, epoch: Epoch, who: str) -> int: ...
    def claim_validator_reward(self, dataset_id: DatasetId, epoch: Epoch) -> str: ...


# (dataset, epoch, file id) -> plaintext, opened in memory: storage fetch with CID check, DEK by
# threshold decryption with purpose SCORING, authenticated decryption. Raises DataDaoError.
FileOpener = Callable[[DatasetId, Epoch, bytes], bytes]
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
    """

    chain_id: int
    score_board: ChecksumAddress
    dataset_id: DatasetId
    validator: ChecksumAddress
    confirmations: int = 2
    lookback: int = 4
    fix_seed_delay_s: float = 0.0


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
    # wall seconds by phase: "decrypt" (storage + shares + decryption, validation set included),
    # "value" (the engine), "tick" (whole ticks: the rest is chain calls and journal writes)
    seconds: dict[str, float] = field(default_factory=dict)
    errors_by_class: dict[str, int] = field(default_factory=dict)  # failed steps, by error class
    # called with each add_time's (phase, seconds): /metrics feeds its latency histograms here
    timers: list[Callable[[str, float], None]] = field(default_factory=list, repr=False)

    def add_time(self, phase: str, seconds: float) -> None:
        self.seconds[phase] = self.seconds.get(phase, 0.0) + seconds
        for observe in self.timers:
            observe(phase, seconds)


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
        self._plaintexts: dict[int, list[FileInput]] = {}  # epoch -> opened files, memory only
        self._validation: bytes | None = None  # the secret set, memory only
        self._seed_due: dict[int, float] = {}  # epoch -> when we fix its seed if nobody has
        self.stats = DaemonStats()

    def tick(self) -> None:
        """One pass over recent epochs. Per-epoch failures are logged and retried next tick."""
        t0 = time.perf_counter()
        head = self._chain.head()
        self.stats.ticks += 1
        self.stats.last_head = head
        current = int(self._chain.current_epoch(self._cfg.dataset_id))
        for e in range(max(0, current - self._cfg.lookback), current + 1):
            epoch = Epoch(e)
            try:
                self._advance(epoch, head)
            except DataDaoError as err:
                self.stats.errors += 1
                name = type(err).__name__
                self.stats.errors_by_class[name] = self.stats.errors_by_class.get(name, 0) + 1
                log.warning(
                    "epoch step failed; retrying next tick",
                    extra={"epoch": e, "error": type(err).__name__, "detail": str(err)},
                )
        self.stats.last_tick_at = self._clock()
        self.stats.add_time("tick", time.perf_counter() - t0)

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
        if self._chain.epoch_seed(ds, epoch) == ZERO32:
            due = self._seed_due.setdefault(int(epoch), self._clock() + self._cfg.fix_seed_delay_s)
            if self._clock() < due:
                return None  # give the validators with a shorter delay their turn
            self._chain.fix_seed(ds, epoch)  # also fixes the committee; permissionless
        rec = EpochRecord(dataset_id=int(ds), epoch=int(epoch))
        self._journal.save(rec)
        if me not in self._chain.committee(ds, epoch):
            return self._save(rec, rec.miss("not on the committee for this epoch"))
        return rec

    def _advance(self, epoch: Epoch, head: int) -> None:
        ds, me = self._cfg.dataset_id, self._cfg.validator
        w = self._chain.windows(ds, epoch)
        if head < w.close_block + self._cfg.confirmations:
            return  # still open for submissions, or not yet deep enough to be reorg-safe
        rec = self._journal.load(int(ds), int(epoch))
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
                self._plaintexts.pop(int(epoch), None)
                rec = self._save(rec, rec.miss(d.reason))
                return
            nxt = self._step(rec, d.action, epoch, w, head, commit_open)
            if nxt is rec:
                return  # waiting for a window
            rec = nxt

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
                return self._save(rec, rec.miss("commit window closed before scoring"))
            files = self._fetch(epoch)
            if not files:  # nothing to score; committing empty arrays would only cost gas
                return self._save(rec, rec.miss("no submissions in this epoch"))
            return self._save(
                rec, rec.advance(EpochState.FETCHED, file_ids=tuple(f.file_id for f in files))
            )
        if s is EpochState.FETCHED:
            if not commit_open:
                return self._save(rec, rec.miss("commit window closed before scoring"))
            return self._value(rec, epoch)
        if s is EpochState.VALUED:
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
            if rec.salt is None:
                raise JournalError(f"epoch {rec.epoch} is committed without a salt")
            tx = self._chain.reveal(ds, epoch, list(rec.scores_bps), rec.salt)
            return self._save(rec, rec.advance(EpochState.REVEALED, tx={**rec.tx, "reveal": tx}))
        if s is EpochState.REVEALED:
            return self._claim(rec, epoch, w, head)
        return rec

    def _fetch(self, epoch: Epoch) -> list[FileInput]:
        ds = self._cfg.dataset_id
        out: list[FileInput] = []
        for fid in self._chain.epoch_files(ds, epoch):
            t0 = time.perf_counter()
            try:
                out.append(FileInput(fid, self._open(ds, epoch, fid)))
            except DataDaoError as err:
                # the reason names the failure, never the data (errors here are opaque)
                out.append(FileInput(fid, failure=f"{type(err).__name__}: {err}"))
                log.warning(
                    "file unavailable; it scores 0",
                    extra={"epoch": int(epoch), "file_id": fid.hex(), "error": type(err).__name__},
                )
            finally:
                self.stats.add_time("decrypt", time.perf_counter() - t0)
        self._plaintexts[int(epoch)] = out
        return out

    def _value(self, rec: EpochRecord, epoch: Epoch) -> EpochRecord:
        ds = self._cfg.dataset_id
        files = self._plaintexts.get(int(epoch))
        if files is None or tuple(f.file_id for f in files) != rec.file_ids:
            files = self._fetch(epoch)  # after a restart: plaintexts were never on disk
        if self._validation is None:
            t0 = time.perf_counter()
            self._validation = self._load_validation(ds, epoch)
            self.stats.add_time("decrypt", time.perf_counter() - t0)
        seed = self._chain.epoch_seed(ds, epoch)
        t0 = time.perf_counter()
        scores = self._score(files, self._validation, seed)
        self.stats.add_time("value", time.perf_counter() - t0)
        self._plaintexts.pop(int(epoch), None)
        salt = self._salt()
        commitment = ScoreCommitment(
            chain_id=self._cfg.chain_id,
            score_board=self._cfg.score_board,
            dataset_id=ds,
            epoch=epoch,
            validator=self._cfg.validator,
            file_ids=scores.file_ids,
            scores_bps=tuple(Bps(b) for b in scores.scores_bps),
            salt=salt,
        ).digest()
        # durable before the commit transaction can exist: this is what makes a reveal certain
        valued = self._save(
            rec,
            rec.advance(
                EpochState.VALUED,
                file_ids=scores.file_ids,
                scores_bps=tuple(int(b) for b in scores.scores_bps),
                reasons=dict(scores.reasons),
                salt=salt,
                commitment=commitment,
            ),
        )
        if self._report is not None:
            try:
                self._report(epoch, scores)
            except (OSError, ValueError, DataDaoError) as err:  # a label must not cost a commit
                log.warning(
                    "nutrition label not written",
                    extra={"epoch": int(epoch), "error": type(err).__name__, "detail": str(err)},
                )
        return valued

    def _commit(self, rec: EpochRecord, epoch: Epoch) -> EpochRecord:
        """Send the *journaled* commitment (first time, or again after a lost transaction)."""
        if rec.commitment is None:
            raise JournalError(f"epoch {rec.epoch} is {rec.state} without a commitment")
        tx = self._chain.commit(self._cfg.dataset_id, epoch, rec.commitment)
        txs = {**rec.tx, "commit": tx}
        if rec.state is EpochState.COMMITTED:
            return self._save(rec, replace(rec, tx=txs))
        return self._save(rec, rec.advance(EpochState.COMMITTED, tx=txs))

    def _claim(self, rec: EpochRecord, epoch: Epoch, w: EpochWindows, head: int) -> EpochRecord:
        ds, me = self._cfg.dataset_id, self._cfg.validator
        if head < w.finalize_from:
            return rec
        if not self._chain.status(ds, epoch).finalized:
            self._chain.finalize(ds, epoch)  # permissionless; a racing finalizer is retried
        if self._chain.validator_reward(ds, epoch, me) == 0:
            return self._save(rec, rec.advance(EpochState.CLAIMED, tx={**rec.tx, "claim": ""}))
        tx = self._chain.claim_validator_reward(ds, epoch)
        return self._save(rec, rec.advance(EpochState.CLAIMED, tx={**rec.tx, "claim": tx}))
