"""node.retry: the bounds every policy promises, independent of any transport."""

from __future__ import annotations

import pytest

from node.errors import ChainError, DataDaoError
from node.retry import (
    CHAIN_BROADCAST,
    CHAIN_READ,
    SHARE_REQUEST,
    STORAGE_CREATE,
    STORAGE_IDEMPOTENT,
    RetryPolicy,
    retry_call,
)


class Flaky(Exception):
    pass


class Answer(Exception):
    """A final answer (a revert, a refusal): must never be retried."""


class GaveUp(ChainError):
    pass


def _failing(errors: list[BaseException], result: str = "ok") -> tuple[list[int], object]:
    calls: list[int] = []

    def fn() -> str:
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return result

    return calls, fn


def _run(policy: RetryPolicy, fn: object, sleeps: list[float]) -> str:
    return retry_call(
        fn,  # type: ignore[arg-type]
        policy=policy,
        retry_if=lambda e: isinstance(e, Flaky),
        give_up=lambda last: GaveUp(f"gave up: {last}"),
        sleep=sleeps.append,
    )


@pytest.mark.parametrize(
    "policy", [CHAIN_READ, CHAIN_BROADCAST, SHARE_REQUEST, STORAGE_IDEMPOTENT, STORAGE_CREATE]
)
def test_every_policy_is_bounded_and_gives_up_typed(policy: RetryPolicy) -> None:
    calls, fn = _failing([Flaky("x")] * 100)
    sleeps: list[float] = []
    with pytest.raises(GaveUp) as info:
        _run(policy, fn, sleeps)
    assert isinstance(info.value, DataDaoError)
    assert isinstance(info.value.__cause__, Flaky)
    assert len(calls) == policy.attempts
    assert len(sleeps) == policy.attempts - 1
    assert all(0 < s <= policy.max_wait_s for s in sleeps)
    assert policy.max_elapsed_s is not None  # every kind of call is bounded in time too


def test_transient_failures_are_ridden_out() -> None:
    calls, fn = _failing([Flaky("a"), Flaky("b")], result="done")
    sleeps: list[float] = []
    assert _run(SHARE_REQUEST, fn, sleeps) == "done"
    assert len(calls) == 3
    assert len(sleeps) == 2


def test_a_final_answer_propagates_unchanged_after_one_try() -> None:
    calls, fn = _failing([Answer("reverted")])
    with pytest.raises(Answer, match="reverted"):
        _run(CHAIN_READ, fn, [])
    assert len(calls) == 1


def test_a_final_answer_after_a_transient_one_is_not_retried_either() -> None:
    calls, fn = _failing([Flaky("a"), Answer("refused"), Flaky("b")])
    with pytest.raises(Answer):
        _run(CHAIN_READ, fn, [])
    assert len(calls) == 2


def test_the_time_bound_stops_retries_before_the_attempt_bound() -> None:
    policy = RetryPolicy("test", attempts=50, first_wait_s=0.01, max_wait_s=0.01, max_elapsed_s=0)
    calls, fn = _failing([Flaky("x")] * 100)
    with pytest.raises(GaveUp):
        _run(policy, fn, [])
    assert len(calls) == 1


def test_waits_double_with_jitter_and_are_capped() -> None:
    policy = RetryPolicy("test", attempts=7, first_wait_s=0.1, max_wait_s=1.0)
    for n, low in enumerate([0.1, 0.2, 0.4, 0.8], start=1):
        assert low <= policy.wait_s(n) <= min(1.0, low + 0.1)
    assert policy.wait_s(6) == 1.0
    plain = RetryPolicy("test", attempts=3, first_wait_s=0.1, max_wait_s=1.0, jitter=False)
    assert [plain.wait_s(n) for n in (1, 2, 3)] == [0.1, 0.2, 0.4]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"attempts": 0, "first_wait_s": 0.1, "max_wait_s": 1.0},
        {"attempts": 2, "first_wait_s": -1.0, "max_wait_s": 1.0},
    ],
)
def test_a_nonsensical_policy_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be >= "):
        RetryPolicy("bad", **kwargs)  # type: ignore[arg-type]


def test_with_attempts_keeps_at_least_one_try() -> None:
    assert CHAIN_READ.with_attempts(0).attempts == 1
    assert CHAIN_READ.with_attempts(9).first_wait_s == CHAIN_READ.first_wait_s
