"""Retry policies: one per kind of outbound call, all run by tenacity.

A retry is only ever safe when repeating the call cannot do anything the first try did not, so
the policy is chosen by *what the call does*, never by where it happens to be made:

``CHAIN_READ``
    Idempotent JSON-RPC reads (``eth_call``, ``eth_getLogs``, the head, the chain id, the
    pending nonce, fee quotes, gas estimates). Transport failures and 429/5xx answers are
    retried with exponential backoff and jitter, a bounded number of times and for a bounded
    total time. A revert is an answer, not a failure, and is never retried.
``CHAIN_BROADCAST``
    ``eth_sendRawTransaction`` of bytes signed **once**: a retry re-sends the very same bytes
    (same nonce, same hash), so it can never become a second transaction. Nothing else about
    a send is retried here: a "nonce too low" resynchronises and re-signs once, and a lost
    transaction is the receipt wait's business (``TransactionTimeout``), not a blind re-send.
``SHARE_REQUEST``
    One validator's decryption share. Per peer and small, since the gatherer only needs ``t``
    of ``n`` answers and a slow peer must not hold a file back; each attempt is signed afresh.
    A refusal (4xx with an error code) is the validator's considered answer and is final.
``STORAGE_IDEMPOTENT``
    Kubo and pinning-service HTTP that repeats safely: reads, and content-addressed writes
    (Kubo ``add`` of a body that can be rebuilt, ``pin/add``, ``dag/import``: the same bytes
    give the same CID). Transport failures are retried; an HTTP error status is an answer.
``STORAGE_CREATE``
    A request that creates something new each time it arrives (the pinning service's
    ``POST /pins`` gives a new request id per call). Retried only when it provably never left:
    the connection was not made.

Each caller names the typed error (from the :mod:`node.errors` tree) that a give-up raises, so
an exhausted policy is always a ``DataDaoError`` with the last cause chained, never a bare
transport exception. Policies are frozen values; nothing is built at import.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final, TypeVar

from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
)
from tenacity.stop import stop_base

from node.errors import DataDaoError

__all__ = [
    "CHAIN_BROADCAST",
    "CHAIN_READ",
    "SHARE_REQUEST",
    "STORAGE_CREATE",
    "STORAGE_IDEMPOTENT",
    "RetryPolicy",
    "retry_call",
]

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long one kind of call is retried.

    Attributes:
        name: the kind of call, for logs.
        attempts: total tries, at least 1 (1 = no retry).
        first_wait_s: the wait after the first failure; doubles after each further one.
        max_wait_s: cap on any single wait.
        max_elapsed_s: no new attempt starts once this many seconds have passed since the first
            (None: the attempt count alone bounds it).
        jitter: add up to ``first_wait_s`` of random delay to each wait, so many clients that
            failed together (a node restart) do not all come back in the same instant.
    """

    name: str
    attempts: int
    first_wait_s: float
    max_wait_s: float
    max_elapsed_s: float | None = None
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"{self.name}: attempts must be >= 1")
        if self.first_wait_s < 0 or self.max_wait_s < 0:
            raise ValueError(f"{self.name}: waits must be >= 0")

    def with_attempts(self, attempts: int) -> RetryPolicy:
        """The same policy with another attempt bound (callers keep their knobs)."""
        return replace(self, attempts=max(1, attempts))

    def with_waits(self, first_wait_s: float, max_wait_s: float | None = None) -> RetryPolicy:
        """The same policy with other waits."""
        return replace(
            self,
            first_wait_s=first_wait_s,
            max_wait_s=self.max_wait_s if max_wait_s is None else max_wait_s,
        )

    def wait_s(self, retry_number: int) -> float:
        """The wait before retry ``retry_number`` (1 = after the first failure)."""
        base = self.first_wait_s * 2.0 ** (retry_number - 1)
        if self.jitter:
            base += random.uniform(0, self.first_wait_s)  # noqa: S311 - spreading, not secrecy
        return min(self.max_wait_s, base)


CHAIN_READ: Final = RetryPolicy(
    "chain read", attempts=6, first_wait_s=0.2, max_wait_s=3.0, max_elapsed_s=60.0
)
CHAIN_BROADCAST: Final = RetryPolicy(
    "chain broadcast", attempts=6, first_wait_s=0.2, max_wait_s=3.0, max_elapsed_s=60.0
)
SHARE_REQUEST: Final = RetryPolicy(
    "share request", attempts=3, first_wait_s=0.2, max_wait_s=2.0, max_elapsed_s=30.0
)
STORAGE_IDEMPOTENT: Final = RetryPolicy(
    "storage idempotent", attempts=3, first_wait_s=0.5, max_wait_s=8.0, max_elapsed_s=120.0
)
STORAGE_CREATE: Final = RetryPolicy(
    "storage create", attempts=3, first_wait_s=0.5, max_wait_s=8.0, max_elapsed_s=120.0
)


def _sleep(seconds: float) -> None:
    time.sleep(seconds)  # looked up per call: a test that patches time.sleep does not wait


def retry_call(
    fn: Callable[[], T],
    *,
    policy: RetryPolicy,
    retry_if: Callable[[BaseException], bool],
    give_up: Callable[[BaseException], DataDaoError],
    sleep: Callable[[float], None] | None = None,
) -> T:
    """Call ``fn`` under ``policy``.

    Args:
        fn: the call; each try calls it afresh (it must rebuild anything it consumes).
        policy: attempts, waits and the time bound.
        retry_if: whether a raised exception is transient. Anything else propagates at once,
            unchanged: a revert, a refusal or a malformed answer is never retried.
        give_up: the typed error to raise once the policy is exhausted; it gets the last
            exception, which is also chained as ``__cause__``.
        sleep: injectable for tests; by default ``time.sleep``, looked up at call time.

    Raises:
        DataDaoError: ``give_up(last)``, after the last permitted attempt failed transiently.
    """
    stop: stop_base = stop_after_attempt(policy.attempts)
    if policy.max_elapsed_s is not None:
        stop = stop | stop_after_delay(policy.max_elapsed_s)

    def before_sleep(state: RetryCallState) -> None:
        outcome = state.outcome
        err = outcome.exception() if outcome is not None else None
        log.debug(
            "%s failed (attempt %d of %d): %s; retrying",
            policy.name,
            state.attempt_number,
            policy.attempts,
            type(err).__name__,
        )

    retrying = Retrying(
        stop=stop,
        wait=lambda state: policy.wait_s(state.attempt_number),
        retry=retry_if_exception(retry_if),
        before_sleep=before_sleep,
        reraise=False,
        sleep=_sleep if sleep is None else sleep,
    )
    try:
        return retrying(fn)
    except RetryError as err:
        last = err.last_attempt.exception()
        if last is None:  # pragma: no cover - retry_if_exception only retries exceptions
            raise
        raise give_up(last) from last
