"""Shared policies for outbound HTTP: bounded retries on transport errors only, capped reads.

Only transport failures (connect, read/write timeouts, dropped connections) are retried: an HTTP
error status is an answer, and repeating the request would not change it (and could repeat a
side effect such as a pin request).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import httpx
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from node.storage.errors import BlobTooLarge, StorageTransportError

__all__ = ["read_capped", "with_retries"]

T = TypeVar("T")


def with_retries(
    fn: Callable[[], T], *, endpoint: str, attempts: int, backoff_s: float, retry: bool = True
) -> T:
    """Call ``fn``, retrying ``httpx.TransportError`` up to ``attempts`` times in total.

    Args:
        fn: the request; must be safe to repeat from the start.
        endpoint: named in the error if every attempt fails (never a URL with credentials).
        attempts: total tries, at least 1.
        backoff_s: first wait; doubles per retry, capped at 8 s.
        retry: False for requests that cannot be repeated (a consumed, unseekable upload).

    Raises:
        StorageTransportError: if the last attempt failed with a transport error.
    """
    retrying = Retrying(
        stop=stop_after_attempt(max(1, attempts) if retry else 1),
        wait=wait_exponential(multiplier=backoff_s, max=8.0),
        retry=retry_if_exception_type(httpx.TransportError),
        reraise=False,
    )
    try:
        return retrying(fn)
    except RetryError as err:
        cause = err.last_attempt.exception()
        raise StorageTransportError(endpoint, type(cause).__name__) from cause


def read_capped(response: httpx.Response, limit: int) -> bytes:
    """Read a streamed response body, refusing more than ``limit`` bytes.

    Raises:
        BlobTooLarge: as soon as the body exceeds ``limit``.
    """
    out = bytearray()
    for piece in response.iter_bytes():
        out += piece
        if len(out) > limit:
            raise BlobTooLarge(len(out), limit)
    return bytes(out)
