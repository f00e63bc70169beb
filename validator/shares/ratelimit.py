"""Token buckets with a hard cap on the number of keys, and a bounded LRU.

Every per-key table of the share service (buckets per client IP, per signer; the set of signers
recently authorized; cached chain reads) is bounded by a hard ``max_keys``: a stranger can make
it churn, never grow. A bucket evicted for room comes back full, so the cap must be well above
the number of keys that are rate-limited at the same time; the global stranger bucket
(:class:`TokenBucket`) is what bounds the work of keys that churn.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["LRU", "RateLimiter", "TokenBucket"]

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A thread-safe mapping that keeps at most ``max_items``, dropping the least recently used."""

    def __init__(self, max_items: int) -> None:
        if max_items < 1:
            raise ValueError("need max_items >= 1")
        self.max_items = max_items
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucket:
    """One bucket: ``rate`` tokens/s up to ``burst`` (a global limit)."""

    def __init__(
        self, *, rate: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("need rate > 0 and burst >= 1")
        self.rate, self.burst = rate, burst
        self._clock = clock
        self._bucket = _Bucket(burst, clock())
        self._lock = threading.Lock()

    def allow(self) -> bool:
        """Take one token; False means refuse (HTTP 429)."""
        with self._lock:
            return _take(self._bucket, self._clock(), self.rate, self.burst)


def _take(b: _Bucket, now: float, rate: float, burst: float) -> bool:
    b.tokens = min(burst, b.tokens + max(0.0, now - b.updated) * rate)
    b.updated = now
    if b.tokens < 1:
        return False
    b.tokens -= 1
    return True


class RateLimiter:
    """Token bucket per key: ``rate`` tokens/s, up to ``burst``, at most ``max_keys`` buckets.

    Args:
        rate: sustained requests per second per key.
        burst: bucket size (requests allowed at once after idling).
        max_keys: buckets kept; the least recently used is dropped when a new key needs room.
        clock: monotonic seconds (injected in tests).
    """

    def __init__(
        self,
        *,
        rate: float,
        burst: float,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst < 1 or max_keys < 1:
            raise ValueError("need rate > 0, burst >= 1 and max_keys >= 1")
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Take one token for ``key``; False means refuse (HTTP 429)."""
        now = self._clock()
        with self._lock:
            b = self._buckets.get(key)
            if b is None:
                b = self._buckets[key] = _Bucket(self.burst, now)
                while len(self._buckets) > self.max_keys:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(key)
            return _take(b, now, self.rate, self.burst)

    def __len__(self) -> int:
        return len(self._buckets)
