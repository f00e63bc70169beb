"""The epoch state machine allows only forward steps and decides crash recovery from the chain."""

from __future__ import annotations

import itertools

import pytest

from validator.daemon.state import (
    ALLOWED,
    ZERO32,
    EpochState,
    IllegalTransition,
    RecoveryAction,
    check_transition,
    decide_recovery,
)

HAPPY = [
    EpochState.ASSIGNED,
    EpochState.FETCHED,
    EpochState.VALUED,
    EpochState.COMMITTED,
    EpochState.REVEALED,
    EpochState.CLAIMED,
]
OURS = b"\x11" * 32
OTHER = b"\x22" * 32


def test_happy_path_is_allowed() -> None:
    for a, b in itertools.pairwise(HAPPY):
        check_transition(a, b)


@pytest.mark.parametrize("state", [s for s in EpochState if s not in ALLOWED or ALLOWED[s]])
def test_every_open_state_can_be_missed(state: EpochState) -> None:
    check_transition(state, EpochState.MISSED)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (EpochState.VALUED, EpochState.VALUED),  # no second salt
        (EpochState.COMMITTED, EpochState.COMMITTED),  # no double commit
        (EpochState.ASSIGNED, EpochState.COMMITTED),  # no commit without valuation
        (EpochState.REVEALED, EpochState.COMMITTED),  # no going back
        (EpochState.MISSED, EpochState.ASSIGNED),  # terminal
        (EpochState.CLAIMED, EpochState.MISSED),  # terminal
    ],
)
def test_illegal_transitions_raise(a: EpochState, b: EpochState) -> None:
    with pytest.raises(IllegalTransition):
        check_transition(a, b)


def test_committed_but_no_chain_commitment_resends_the_same() -> None:
    r = decide_recovery(EpochState.COMMITTED, OURS, ZERO32, False, commit_open=True)
    assert r.action is RecoveryAction.SEND_COMMIT


def test_valued_crash_before_send_resends() -> None:
    r = decide_recovery(EpochState.VALUED, OURS, ZERO32, False, commit_open=True)
    assert r.action is RecoveryAction.SEND_COMMIT


def test_chain_holds_our_commitment_goes_to_reveal() -> None:
    for state in (EpochState.VALUED, EpochState.COMMITTED):
        r = decide_recovery(state, OURS, OURS, False, commit_open=True)
        assert r.action is RecoveryAction.SEND_REVEAL


def test_chain_commitment_differs_is_missed_with_reason() -> None:
    r = decide_recovery(EpochState.COMMITTED, OURS, OTHER, False, commit_open=True)
    assert r.action is RecoveryAction.MISS
    assert "differs" in r.reason


def test_commit_window_closed_before_commit_landed_is_missed() -> None:
    r = decide_recovery(EpochState.COMMITTED, OURS, ZERO32, False, commit_open=False)
    assert r.action is RecoveryAction.MISS
    assert "closed" in r.reason


def test_revealed_on_chain_goes_to_claim() -> None:
    r = decide_recovery(EpochState.COMMITTED, OURS, OURS, True, commit_open=False)
    assert r.action is RecoveryAction.AWAIT_CLAIM


def test_unjournaled_chain_commitment_is_missed() -> None:
    r = decide_recovery(EpochState.FETCHED, None, OURS, False, commit_open=True)
    assert r.action is RecoveryAction.MISS


def test_terminal_states_do_nothing() -> None:
    for s in (EpochState.CLAIMED, EpochState.MISSED):
        assert decide_recovery(s, OURS, OURS, True, commit_open=False).action is (
            RecoveryAction.NOTHING
        )
