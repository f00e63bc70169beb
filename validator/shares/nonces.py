"""Replay protection: each (authorized signer, nonce) is served once, across restarts.

Why a table and not a per-signer counter window: clients draw a random 256-bit nonce per request
and ask t validators in parallel (:mod:`node.custody.gather`), so nonces from one signer are
neither ordered nor dense; a monotonic window would refuse honest concurrent requests.

What keeps the table from being filled by strangers:

* the service claims a nonce only **after** the signature recovered and the chain authorized the
  signer for that file (a granted renter, a committee validator); a request from a fresh key never
  reaches this store;
* entries are kept per signer and a signer holds at most ``max_per_signer`` live nonces: one that
  goes over is refused for itself only (429), nobody else is affected;
* an entry is forgotten once its request's deadline (chain time, capped by the service at
  ``max_deadline_s`` ahead) has passed: from then on the request is refused as expired anyway.

So the table holds at most ``authorized signers x max_per_signer`` rows, and becoming an
authorized signer costs an on-chain grant or a stake.

It is SQLite (WAL, ``synchronous=FULL``: every claim is fsync'd before the share is made), under
the validator's data dir, so a restart does not reopen a window for replays. ``path=None`` keeps
the table in memory (tests, tools).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Final

__all__ = ["NonceStore"]

_PURGE_EVERY_S: Final = 60


class NonceStore:
    """(signer, nonce) pairs until their deadline, at most ``max_per_signer`` live per signer.

    Args:
        path: the SQLite file (created with its parent); None for an in-memory table.
        max_per_signer: live nonces one signer may hold.
    """

    def __init__(self, path: Path | None = None, *, max_per_signer: int = 200_000) -> None:
        if max_per_signer < 1:
            raise ValueError("need max_per_signer >= 1")
        self.max_per_signer = max_per_signer
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            ":memory:" if path is None else str(path),
            check_same_thread=False,
            isolation_level=None,  # explicit transactions: one fsync'd commit per claim
        )
        self._lock = threading.Lock()
        with self._lock:
            if path is not None:
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS nonces (signer TEXT NOT NULL, nonce TEXT NOT NULL,"
                " deadline INTEGER NOT NULL, PRIMARY KEY (signer, nonce)) WITHOUT ROWID"
            )
            self._db.execute("CREATE INDEX IF NOT EXISTS by_deadline ON nonces (deadline)")
            self._counts = self._load_counts()
        self._next_purge = 0

    def _load_counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT signer, COUNT(*) FROM nonces GROUP BY signer")
        return {str(s): int(n) for s, n in rows}

    def seen(self, signer: str, nonce: int) -> bool:
        """Whether the pair was already claimed (read only: a replay costs the signer nothing)."""
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM nonces WHERE signer = ? AND nonce = ?", (signer.lower(), hex(nonce))
            ).fetchone()
        return row is not None

    def claim(self, signer: str, nonce: int, *, deadline: int, now: int) -> bool | None:
        """Record the pair atomically and durably.

        ``now`` and ``deadline`` are chain timestamps.

        Returns:
            True if claimed; False if it was already used (a replay); None if ``signer`` already
            holds ``max_per_signer`` live nonces (refuse it, and only it).
        """
        key = signer.lower()
        with self._lock:
            if now >= self._next_purge:
                self._purge(now)
            if self._counts.get(key, 0) >= self.max_per_signer:
                return None
            try:
                self._db.execute(
                    "INSERT INTO nonces (signer, nonce, deadline) VALUES (?, ?, ?)",
                    (key, hex(nonce), deadline),
                )
            except sqlite3.IntegrityError:
                return False
            self._counts[key] = self._counts.get(key, 0) + 1
            return True

    def _purge(self, now: int) -> None:
        self._db.execute("DELETE FROM nonces WHERE deadline < ?", (now,))
        self._counts = self._load_counts()
        self._next_purge = now + _PURGE_EVERY_S

    def signers(self) -> int:
        """Signers holding live nonces (a size for tests and metrics)."""
        return len(self._counts)

    def __len__(self) -> int:
        return sum(self._counts.values())

    def close(self) -> None:
        with self._lock:
            self._db.close()
