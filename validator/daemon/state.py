"""The per-epoch state machine of a scoring validator, and the crash-recovery decision.

A validator's work for one (dataset, epoch) moves through
``ASSIGNED → FETCHED → VALUED → COMMITTED → REVEALED → CLAIMED``, or ends in ``MISSED`` with a
reason. The states are explicit (not inferred from which fields happen to be set) so that a
daemon restarted at any point reads its journal, compares it with the chain, and knows exactly
which single step comes next, without ever drawing a second salt or committing twice.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from node.errors import DataDaoError

__all__ = [
    "ALLOWED",
    "EpochState",
    "IllegalTransition",
    "Recovery",
    "RecoveryAction",
    "check_transition",
    "decide_recovery",
]


class EpochState(enum.StrEnum):
    """Where one validator stands in one epoch. ``MISSED`` and ``CLAIMED`` are terminal."""

    ASSIGNED = "ASSIGNED"  # on the committee; nothing fetched yet
    FETCHED = "FETCHED"  # ciphertexts fetched and opened (in memory only)
    VALUED = "VALUED"  # scores in basis points computed; salt drawn and journaled (fsync'd)
    COMMITTED = "COMMITTED"  # commit transaction sent
    REVEALED = "REVEALED"  # reveal transaction sent
    CLAIMED = "CLAIMED"  # validator reward claimed
    MISSED = "MISSED"  # gave up, with a reason


# FETCHED → FETCHED is not allowed; every step is taken at most once. Any non-terminal state may
# fall to MISSED (a window closed, the chain disagrees with the journal, a transaction reverted).
ALLOWED: dict[EpochState, frozenset[EpochState]] = {
    EpochState.ASSIGNED: frozenset({EpochState.FETCHED, EpochState.MISSED}),
    EpochState.FETCHED: frozenset({EpochState.VALUED, EpochState.MISSED}),
    EpochState.VALUED: frozenset({EpochState.COMMITTED, EpochState.MISSED}),
    EpochState.COMMITTED: frozenset({EpochState.REVEALED, EpochState.MISSED}),
    EpochState.REVEALED: frozenset({EpochState.CLAIMED, EpochState.MISSED}),
    EpochState.CLAIMED: frozenset(),
    EpochState.MISSED: frozenset(),
}


class IllegalTransition(DataDaoError):
    """A step the state machine does not allow, e.g. committing twice or skipping valuation."""


def check_transition(current: EpochState, new: EpochState) -> None:
    """Raise unless ``current → new`` is an allowed step.

    Raises:
        IllegalTransition: the step is not in :data:`ALLOWED`.
    """
    if new not in ALLOWED[current]:
        raise IllegalTransition(f"epoch state {current} cannot move to {new}")


class RecoveryAction(enum.StrEnum):
    """What a restarted daemon must do next for an epoch whose journal says it reached VALUED+."""

    SEND_COMMIT = "send_commit"  # (re-)send the journaled commitment, same salt
    SEND_REVEAL = "send_reveal"  # the chain holds our commitment: reveal in the reveal window
    AWAIT_CLAIM = "await_claim"  # revealed on chain: claim after finalization
    MISS = "miss"  # unrecoverable: see the reason
    NOTHING = "nothing"  # terminal state


@dataclass(frozen=True, slots=True)
class Recovery:
    """A recovery decision and, for ``MISS``, why (logged and journaled)."""

    action: RecoveryAction
    reason: str = ""


ZERO32 = b"\x00" * 32


def decide_recovery(
    state: EpochState,
    journal_commitment: bytes | None,
    chain_commitment: bytes,
    chain_revealed: bool,
    *,
    commit_open: bool,
) -> Recovery:
    """Decide the next step from the journal and what the chain shows.

    The rules that make a crash harmless:

    * never draw a new salt once one is journaled: if the chain holds no commitment, re-send the
      *journaled* one (the commit tx may have been lost with the crash);
    * if the chain holds exactly our commitment, the commit went through: go on to reveal;
    * if the chain holds a different commitment, the journal is not what we committed (a
      restored backup, a second daemon with the same key): revealing it would fail, so MISS
      loudly rather than guess.

    Args:
        state: the journaled state.
        journal_commitment: the journaled commitment digest (``None`` before VALUED).
        chain_commitment: ``ScoreBoard.commitmentOf`` for us (32 zero bytes when none).
        chain_revealed: ``ScoreBoard.revealed`` for us.
        commit_open: whether the commit window is still open now.
    """
    if state in (EpochState.CLAIMED, EpochState.MISSED):
        return Recovery(RecoveryAction.NOTHING)
    if state in (EpochState.ASSIGNED, EpochState.FETCHED):
        if chain_commitment != ZERO32:
            return Recovery(
                RecoveryAction.MISS,
                "the chain holds a commitment from us that the journal never recorded",
            )
        return Recovery(RecoveryAction.NOTHING)
    if journal_commitment is None:
        return Recovery(RecoveryAction.MISS, f"journal in {state} has no commitment")
    if chain_commitment == ZERO32:
        if state is EpochState.REVEALED:
            return Recovery(RecoveryAction.MISS, "journal says revealed but chain has no commit")
        if not commit_open:
            return Recovery(RecoveryAction.MISS, "commit window closed before the commit landed")
        return Recovery(RecoveryAction.SEND_COMMIT)
    if chain_commitment != journal_commitment:
        return Recovery(
            RecoveryAction.MISS,
            "on-chain commitment differs from the journaled one; refusing to reveal",
        )
    if chain_revealed:
        return Recovery(RecoveryAction.AWAIT_CLAIM)
    return Recovery(RecoveryAction.SEND_REVEAL)
