"""Per-key token buckets (requester address, client IP) and a replay-nonce store.

Both are in memory and per process: a validator runs one share service. Nonces are kept only
until their request's deadline (which the service caps), so memory is bounded by
``rate x max deadline horizon``, and a hard cap refuses new nonces rather than growing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["NonceStore", "RateLimiter"]


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token bucket per key: ``rate`` tokens/s, up to ``burst``.

    Args:
        rate: sustained requests per second per key.
        burst: bucket size (requests allowed at once after idling).
        max_keys: buckets kept; idle full buckets are dropped first when over.
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
        if rate <= 0 or burst < 1:
            raise ValueError("need rate > 0 and burst >= 1")
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Take one token for ``key``; False means refuse (HTTP 429)."""
        now = self._clock()
        with self._lock:
            b = self._buckets.get(key)
            if b is None:
                if len(self._buckets) >= self.max_keys:
                    self._evict(now)
                b = self._buckets[key] = _Bucket(self.burst, now)
            b.tokens = min(self.burst, b.tokens + (now - b.updated) * self.rate)
            b.updated = now
            if b.tokens < 1:
                return False
            b.tokens -= 1
            return True

    def _evict(self, now: float) -> None:
        full = [
            k
            for k, b in self._buckets.items()
            if b.tokens + (now - b.updated) * self.rate >= self.burst
        ]
        for k in full or list(self._buckets)[: len(self._buckets) // 2]:
            del self._buckets[k]


class NonceStore:
    """Remembers (requester, nonce) pairs until their deadline; a second use is a replay.

    Args:
        max_entries: refuse (return False) rather than grow beyond this.
    """

    def __init__(self, *, max_entries: int = 1_000_000) -> None:
        self.max_entries = max_entries
        self._seen: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()
        self._next_purge = 0

    def claim(self, requester: str, nonce: int, *, deadline: int, now: int) -> bool:
        """Atomically record the pair; False if it was already used (or the store is full).

        ``now`` and ``deadline`` are chain timestamps: an entry is forgotten once its deadline
        has passed, because from then on the request is refused as expired anyway.
        """
        key = (requester.lower(), nonce)
        with self._lock:
            if now >= self._next_purge:
                self._seen = {k: d for k, d in self._seen.items() if d >= now}
                self._next_purge = now + 60
            if key in self._seen or len(self._seen) >= self.max_entries:
                return False
            self._seen[key] = deadline
            return True

    def __len__(self) -> int:
        return len(self._seen)
