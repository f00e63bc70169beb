"""The validator's side of a key ritual: watch DKGCoordinator, deal, verify, aggregate, post.

For every ritual this validator is a member of (``RitualInitiated`` lists the committee):

1. post its PVSS transcript (once; ``transcriptDigest`` tells whether it already did, so a
   restarted watcher resumes instead of failing);
2. wait until every member has posted (state ``AWAITING_AGGREGATIONS``), read all transcripts
   from the ``TranscriptPosted`` events, verify and aggregate them;
3. write the aggregated transcript beside its keystore (public, but the share service needs it)
   and post the aggregate's digest and the DKG public key;
4. wait for ``ACTIVE``, ``INVALID`` or ``TIMEOUT`` and report the outcome with who failed.

A transcript that does not verify must stop the ritual from ever activating. The coordinator
has no "accuse" call; it invalidates a ritual when two aggregations disagree. So a validator
that finds a bad transcript posts a *rejection*: a digest unique to itself
(``keccak("datadao/ritual-reject/v1" ‖ ritualId ‖ me ‖ culprits)``) and a 1-byte placeholder key.
Two rejections always disagree, and a rejection disagrees with any real aggregation, so once any
honest member has rejected, the ritual can only end ``INVALID`` (or ``TIMEOUT``), never ``ACTIVE``
with a key built from a bad transcript.

Parameters are explicit (:class:`RitualParams`); the devnet default is n = 4, t = 3.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract.contract import ContractFunction

from node.chain.client import ChainClient
from node.chain.dkg import DKGCoordinator, RitualState
from node.chain.errors import ContractRevert, TransactionFailed
from node.chain.staking import ValidatorStaking
from node.errors import KeyCustodyError
from node.protocol.dkg_member import BadTranscript, Participant, RitualMember
from node.protocol.keystore import Secret
from node.types import RitualId

__all__ = [
    "FERVEO_KIND",
    "RitualFailed",
    "RitualOutcome",
    "RitualParams",
    "RitualWatcher",
    "aggregate_path",
    "rejection_digest",
]

log = logging.getLogger(__name__)

FERVEO_KIND: Final = "ferveo-keypair-seed"
"""Keystore ``kind`` of a validator's Ferveo seed (the devnet bootstrap writes the same kind)."""
_REJECT_TAG: Final = b"datadao/ritual-reject/v1"
_REJECT_KEY: Final = b"\x00"
_ZERO32: Final = b"\x00" * 32
_MAX_ATTEMPTS: Final = 3
_AGGREGATION_GAS: Final = 400_000


@dataclass(frozen=True, slots=True)
class RitualParams:
    """What ``initiateRitual`` is called with: committee size n, threshold t, timeout."""

    size: int = 4
    threshold: int = 3
    timeout_s: int = 3600

    def __post_init__(self) -> None:
        if not 1 <= self.threshold <= self.size:
            raise ValueError("need 1 <= threshold <= size")
        if self.timeout_s <= 0:
            raise ValueError("timeout_s must be positive")


@dataclass(frozen=True)
class RitualOutcome:
    """How a ritual ended, from this validator's point of view, with who failed.

    Attributes:
        missing_transcripts: members that never posted a transcript (why a ritual times out).
        missing_aggregations: members that never posted an aggregation.
        bad_transcripts: members whose transcripts did not verify here.
        disagreed: members whose aggregation the coordinator found in disagreement.
    """

    ritual_id: int
    state: RitualState
    dkg_public_key: bytes | None = None
    missing_transcripts: tuple[str, ...] = ()
    missing_aggregations: tuple[str, ...] = ()
    bad_transcripts: tuple[str, ...] = ()
    disagreed: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)

    @property
    def failed_members(self) -> tuple[str, ...]:
        """Everyone to blame, most specific first."""
        seen = dict.fromkeys(
            (*self.bad_transcripts, *self.missing_transcripts, *self.missing_aggregations)
        )
        return tuple(seen)

    def describe(self) -> str:
        if self.state is RitualState.ACTIVE:
            return f"ritual {self.ritual_id} ACTIVE"
        who = ", ".join(self.failed_members) or "unknown"
        return f"ritual {self.ritual_id} ended {self.state.name}; failed: {who}"


class RitualFailed(KeyCustodyError):
    """A ritual ended TIMEOUT or INVALID; ``outcome`` names who failed."""

    def __init__(self, outcome: RitualOutcome) -> None:
        super().__init__(outcome.describe())
        self.outcome = outcome


def aggregate_path(key_dir: Path, ritual_id: int) -> Path:
    """Where a validator keeps a ritual's aggregated transcript (same layout as the devnet)."""
    return key_dir / f"ritual-{ritual_id}.aggregate"


def rejection_digest(ritual_id: int, me: str, culprits: list[str]) -> bytes:
    """The digest a member posts to veto a ritual with bad transcripts (see module docstring)."""
    body = _REJECT_TAG + ritual_id.to_bytes(4, "big") + bytes.fromhex(me.removeprefix("0x"))
    for c in sorted(a.lower() for a in culprits):
        body += bytes.fromhex(c.removeprefix("0x"))
    return keccak(body)


class RitualWatcher:
    """One validator's ritual participation.

    Args:
        chain: a client signing as this validator.
        dkg_address: the DKGCoordinator.
        key_dir: where aggregated transcripts are written (beside the keystore).
        seed: the validator's Ferveo keypair seed (from the encrypted keystore).
        poll_s: how often to poll the coordinator.
        deal: how transcripts are dealt (tests inject faulty dealers; default: honest).
    """

    def __init__(
        self,
        chain: ChainClient,
        dkg_address: str,
        *,
        key_dir: Path,
        seed: Secret,
        poll_s: float = 0.25,
        deal: Callable[[RitualMember], bytes] | None = None,
    ) -> None:
        self.chain = chain
        self.me = chain.address
        self.dkg = DKGCoordinator(chain, dkg_address)
        self.staking = ValidatorStaking(chain, str(self.dkg.contract.functions.staking().call()))
        self.key_dir = key_dir
        self._seed = seed
        self.poll_s = poll_s
        self._deal = deal or (lambda member: member.deal())

    def __repr__(self) -> str:
        return f"RitualWatcher(me={self.me}, seed=<redacted>)"

    # ------------------------------------------------------------------------- discovery

    def my_rituals(self, from_block: int = 0) -> list[tuple[RitualId, int]]:
        """``(ritual id, initiation block)`` of every ritual whose committee includes me."""
        found = []
        event = self.dkg.contract.events.RitualInitiated()
        for log_entry in self.chain.events(event, from_block=from_block):
            members = {a.lower() for a in log_entry["args"]["participants"]}
            if self.me.lower() in members:
                found.append((RitualId(log_entry["args"]["ritualId"]), log_entry["blockNumber"]))
        return found

    def run(
        self,
        stop: threading.Event,
        *,
        from_block: int = 0,
        on_outcome: Callable[[RitualOutcome], None] = lambda _o: None,
    ) -> None:
        """Participate in every open ritual that lists me, until ``stop`` is set."""
        done: set[int] = set()
        while not stop.is_set():
            for ritual_id, block in self.my_rituals(from_block):
                if ritual_id in done:
                    continue
                state = self.dkg.getRitualState(ritual_id)
                if state in (RitualState.AWAITING_TRANSCRIPTS, RitualState.AWAITING_AGGREGATIONS):
                    on_outcome(self.participate(ritual_id, initiated_at=block, stop=stop))
                done.add(ritual_id)
            stop.wait(self.poll_s)

    # ------------------------------------------------------------------------- one ritual

    def participate(
        self,
        ritual_id: RitualId,
        *,
        initiated_at: int,
        stop: threading.Event | None = None,
        max_wait_s: float | None = None,
    ) -> RitualOutcome:
        """Take part in ``ritual_id`` until it ends; return how it ended.

        Args:
            initiated_at: the block of its ``RitualInitiated`` event (transcripts are read
                from there on).
            stop: abort waiting when set (returns the state so far).
            max_wait_s: wall-clock cap on waiting (the chain's TIMEOUT is the real bound).
        """
        committee = self.dkg.getParticipants(ritual_id)
        threshold = self.dkg.getThreshold(ritual_id)
        participants = [
            Participant(a, self.staking.validatorInfo(a).ferveo_public_key) for a in committee
        ]
        member = RitualMember(
            ritual_id=ritual_id,
            threshold=threshold,
            participants=participants,
            me=self.me,
            keypair_seed=self._seed.reveal(),
        )
        log.info("ritual joined", extra={"ritual": ritual_id, "index": member.index})
        deadline = None if max_wait_s is None else time.monotonic() + max_wait_s
        bad: list[str] = []
        attempts = {"transcript": 0, "aggregation": 0}

        while True:
            state = self.dkg.getRitualState(ritual_id)
            if (
                state is RitualState.AWAITING_TRANSCRIPTS
                and attempts["transcript"] < _MAX_ATTEMPTS
                and not self._posted_transcript(ritual_id)
            ):
                attempts["transcript"] += 1
                fn = self.dkg.contract.functions.postTranscript(ritual_id, self._deal(member))
                self._try_post(fn, gas=None)
                continue
            if (
                state is RitualState.AWAITING_AGGREGATIONS
                and attempts["aggregation"] < _MAX_ATTEMPTS
                and not self._posted_aggregation(ritual_id, initiated_at)
            ):
                attempts["aggregation"] += 1
                transcripts = self.dkg.transcripts(ritual_id, from_block=initiated_at)
                try:
                    agg = member.aggregate({str(a): t for a, t in transcripts.items()})
                except BadTranscript as err:
                    bad = list(err.members)
                    log.warning(
                        "bad transcripts: vetoing the ritual",
                        extra={"ritual": ritual_id, "culprits": bad},
                    )
                    digest, key = rejection_digest(ritual_id, self.me, bad), _REJECT_KEY
                else:
                    _write_atomic(
                        aggregate_path(self.key_dir, ritual_id), agg.aggregated_transcript
                    )
                    digest, key = agg.digest, agg.dkg_public_key
                fn = self.dkg.contract.functions.postAggregation(ritual_id, digest, key)
                # Members post concurrently: the last one in pays for activation (the public key
                # is stored), which a gas estimate taken earlier does not include.
                self._try_post(fn, gas=_AGGREGATION_GAS)
                continue
            if state is RitualState.INVALID and not bad:
                # Another member's veto can end the ritual before this one aggregated: verify
                # the posted transcripts anyway, so every honest member names the dealer at fault.
                transcripts = self.dkg.transcripts(ritual_id, from_block=initiated_at)
                try:
                    member.aggregate({str(a): t for a, t in transcripts.items()})
                except BadTranscript as err:
                    bad = list(err.members)
            if state in (RitualState.ACTIVE, RitualState.INVALID, RitualState.TIMEOUT):
                return self._outcome(ritual_id, state, committee, initiated_at, bad)
            if (stop is not None and stop.is_set()) or (
                deadline is not None and time.monotonic() > deadline
            ):
                return self._outcome(ritual_id, state, committee, initiated_at, bad)
            time.sleep(self.poll_s)

    def _try_post(self, fn: ContractFunction, *, gas: int | None) -> None:
        """Send; a revert because the ritual moved on (another member ended it) is not an error,
        and a transaction that failed on inclusion is retried by the caller's loop."""
        try:
            self.chain.send(fn, gas=gas, description=f"DKGCoordinator.{fn.fn_name}")
            log.info("posted", extra={"what": fn.fn_name})
        except ContractRevert as err:
            log.info("post not accepted", extra={"what": fn.fn_name, "revert": err.error_name})
        except TransactionFailed:
            log.warning("post failed on inclusion", extra={"what": fn.fn_name})

    def _posted_transcript(self, ritual_id: RitualId) -> bool:
        fn = self.dkg.contract.functions.transcriptDigest(ritual_id, self.me)
        return bytes(self.chain.call(fn)) != _ZERO32

    def _posted_aggregation(self, ritual_id: RitualId, from_block: int) -> bool:
        event = self.dkg.contract.events.AggregationPosted()
        return any(
            e["args"]["member"].lower() == self.me.lower()
            for e in self.chain.events(
                event, from_block=from_block, argument_filters={"ritualId": ritual_id}
            )
        )

    def _outcome(
        self,
        ritual_id: RitualId,
        state: RitualState,
        committee: Sequence[str],
        initiated_at: int,
        bad: list[str],
    ) -> RitualOutcome:
        transcripts = self.dkg.transcripts(ritual_id, from_block=initiated_at)
        posted = {a.lower() for a in transcripts}
        aggregated: set[str] = set()
        disagreed: list[str] = []
        for e in self.chain.events(
            self.dkg.contract.events.AggregationPosted(),
            from_block=initiated_at,
            argument_filters={"ritualId": ritual_id},
        ):
            aggregated.add(e["args"]["member"].lower())
        for e in self.chain.events(
            self.dkg.contract.events.RitualInvalidated(),
            from_block=initiated_at,
            argument_filters={"ritualId": ritual_id},
        ):
            disagreed.append(Web3.to_checksum_address(e["args"]["member"]))
        key = self.dkg.getPublicKey(ritual_id) if state is RitualState.ACTIVE else None
        outcome = RitualOutcome(
            ritual_id=ritual_id,
            state=state,
            dkg_public_key=key,
            missing_transcripts=tuple(a for a in committee if a.lower() not in posted),
            # only blame missing aggregations when aggregating was possible and nothing else
            # ended the ritual first (a missing transcript or an invalidation)
            missing_aggregations=tuple(
                a
                for a in committee
                if a.lower() not in aggregated
                and state is RitualState.TIMEOUT
                and len(posted) == len(committee)
            ),
            bad_transcripts=tuple(bad),
            disagreed=tuple(disagreed),
        )
        level = logging.INFO if state is RitualState.ACTIVE else logging.WARNING
        log.log(level, outcome.describe(), extra={"ritual": ritual_id, "state": state.name})
        return outcome


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
