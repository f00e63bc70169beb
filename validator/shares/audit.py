"""The share service's audit log: an append-only, hash-chained JSON-lines file.

One line per request decision: who asked (recovered signer, client address), for what (purpose,
request or epoch, dataset, file) and what was decided (served, or the refusal code). It never
records the share, the requester's session key, headers or anything decrypted, so it is safe to
ship to a log aggregator.

**Chain.** Every line is a JSON object with ``seq`` (its 1-based line number), ``prev`` (the
sha256, hex, of the previous line's bytes without the newline; :data:`GENESIS` for the first
line) and ``sha256`` (of the line's own canonical JSON without that field). :func:`verify_audit_log`
names the first line that is unparseable, altered, out of sequence (a line removed or moved) or
off the chain. Anyone who can write the file can also rewrite everything after a change, so keep
the head (the last line's hash, printed by ``verify``) somewhere else from time to time to anchor
it; what the chain guarantees on its own is that a change is visible unless the whole rest of the
file is rewritten.

**Independent of logging.** The file is written by its own thread whatever the log level; the
same line also goes to the ``validator.shares.audit`` logger for operators who aggregate logs,
and ``--quiet`` may drop that copy, never the file.

**Durability: fsync per batch.** A writer thread takes every line queued since its last write,
appends them in one ``write`` and fsyncs once (group commit): under a flood of refusals the disk
sees one fsync per batch, not one per request. A *served* decision is recorded with
``durable=True``: the request thread waits until its line is fsync'd before the share is sent,
so no share ever leaves without its audit line on disk. Refusals are not waited for; if more than
``max_pending`` refusal lines are queued (the disk is slower than the flood), further refusals are
counted and written as one ``audit_overflow`` line with the count instead of growing memory.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from node.errors import KeyCustodyError

__all__ = [
    "AUDIT_LOGGER",
    "GENESIS",
    "AuditError",
    "AuditEvent",
    "AuditLog",
    "AuditVerification",
    "verify_audit_log",
]

AUDIT_LOGGER = "validator.shares.audit"
GENESIS: Final = hashlib.sha256(b"datadao share-service audit log v1").hexdigest()
"""The ``prev`` of line 1: a fixed value, so a file whose first lines were cut off is caught."""

_TAIL_READ: Final = 1 << 16


class AuditError(KeyCustodyError):
    """The audit log cannot be written (a share is then not served) or cannot be resumed."""


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One decision. Optional fields are None when the request was refused before parsing them."""

    validator: str
    decision: str
    reason: str | None = None
    requester: str | None = None
    client: str | None = None
    purpose: str | None = None
    req_id: int | None = None
    dataset_id: int | None = None
    epoch: int | None = None
    file_id: str | None = None
    files: dict[str, str] | None = None
    """A batch: each requested file id → ``served`` or its refusal code (one line per batch)."""
    ritual_id: int | None = None
    view_block: int | None = None
    latency_ms: float | None = None


def _canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _seal(fields: dict[str, Any], *, seq: int, prev: str) -> bytes:
    body = {**fields, "seq": seq, "prev": prev}
    body["sha256"] = hashlib.sha256(_canonical(body)).hexdigest()
    return _canonical(body)


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """What :func:`verify_audit_log` found.

    Attributes:
        ok: every line is intact and chained.
        lines: lines read (complete or not).
        first_bad_line: 1-based number of the first line that fails, None when ok.
        reason: why that line fails.
        head: the hash of the last good line (:data:`GENESIS` for an empty file): record it
            elsewhere to anchor the log.
    """

    ok: bool
    lines: int
    first_bad_line: int | None = None
    reason: str | None = None
    head: str = GENESIS


def verify_audit_log(path: Path) -> AuditVerification:
    """Walk the chain of ``path`` and report the first line that breaks it.

    A line fails if it is not a complete JSON object (cut in the middle, or the file's last line
    has no newline), if its ``sha256`` does not match its content (altered), if its ``seq`` is
    not its line number (a line removed, inserted or moved), or if its ``prev`` is not the
    sha256 of the line before (the chain was spliced).

    Raises:
        OSError: the file cannot be read.
    """
    prev, count = GENESIS, 0
    with path.open("rb") as fh:
        for count, raw in enumerate(fh, start=1):
            why = _check_line(raw, count, prev)
            if why is not None:
                return AuditVerification(False, count, count, why, prev)
            prev = hashlib.sha256(raw[:-1]).hexdigest()
    return AuditVerification(True, count, head=prev)


def _check_line(raw: bytes, number: int, prev: str) -> str | None:
    if not raw.endswith(b"\n"):
        return "incomplete line (file truncated)"
    try:
        obj = json.loads(raw)
    except ValueError:
        return "not a JSON line (cut or garbled)"
    if not isinstance(obj, dict) or not {"seq", "prev", "sha256"} <= obj.keys():
        return "not an audit record"
    claimed = obj.pop("sha256")
    if not isinstance(claimed, str) or hashlib.sha256(_canonical(obj)).hexdigest() != claimed:
        return "content does not match its sha256 (altered)"
    if obj["seq"] != number:
        return f"seq {obj['seq']!r} at line {number} (a line was removed, inserted or moved)"
    if obj["prev"] != prev:
        return "prev is not the sha256 of the line before (chain broken)"
    return None


def _resume(path: Path) -> tuple[int, str]:
    """``(seq, hash)`` of the last line of an existing log, after setting aside a torn tail.

    A crash can leave a last line without its newline (never fsync'd, so never acknowledged):
    it is moved to ``<name>.torn`` and cut, so the next line chains from the last complete one.
    """
    if not path.exists() or path.stat().st_size == 0:
        return 0, GENESIS
    with path.open("r+b") as fh:
        size = fh.seek(0, os.SEEK_END)
        start = max(0, size - _TAIL_READ)
        fh.seek(start)
        tail = fh.read()
        if not tail.endswith(b"\n"):
            cut = tail.rfind(b"\n") + 1
            with path.with_name(path.name + ".torn").open("ab") as torn:
                torn.write(tail[cut:] + b"\n")
                torn.flush()
                os.fsync(torn.fileno())
            fh.truncate(start + cut)
            fh.flush()
            os.fsync(fh.fileno())
            logging.getLogger(__name__).warning("audit log had a torn last line; set aside")
            tail = tail[:cut]
            if not tail:
                if start == 0:
                    return 0, GENESIS
                raise AuditError(f"{path}: last line longer than {_TAIL_READ} bytes")
    last = tail[:-1].rsplit(b"\n", 1)[-1]
    try:
        seq = int(json.loads(last)["seq"])
    except (ValueError, KeyError, TypeError):
        raise AuditError(
            f"{path}: last line is not an audit record; run `datadao validator audit verify`"
        ) from None
    return seq, hashlib.sha256(last).hexdigest()


class AuditLog:
    """Records :class:`AuditEvent` to the hash-chained file at ``path`` (and the logger).

    Args:
        path: the JSON-lines file (created with its parent); None writes to the logger only.
        logger: the copy for log aggregation (default ``validator.shares.audit``).
        max_pending: refusal lines queued before further ones are only counted.
        clock: wall-clock seconds for ``ts``.
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        logger: logging.Logger | None = None,
        max_pending: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self._log = logger or logging.getLogger(AUDIT_LOGGER)
        self.max_pending = max_pending
        self._clock = clock
        self._cv = threading.Condition()
        self._pending: list[tuple[int, dict[str, Any]]] = []
        self._queued = 0  # tickets handed out
        self._synced = 0  # tickets written and fsync'd
        self._dropped = 0
        self._failed: BaseException | None = None
        self._closing = False
        self._thread: threading.Thread | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._seq, self._prev = _resume(path)
            self._fh = path.open("ab")
            self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
            self._thread.start()

    def record(self, event: AuditEvent, *, durable: bool = False) -> None:
        """Append one decision; with ``durable``, return only once its line is fsync'd.

        Raises:
            AuditError: ``durable`` and the line could not be written (the caller must not serve).
        """
        fields = {k: v for k, v in asdict(event).items() if v is not None}
        fields["ts"] = round(self._clock(), 3)
        fields["event"] = "share_request"
        self._log.info(json.dumps(fields, sort_keys=True))
        if self._thread is None:
            return
        with self._cv:
            if self._failed is not None:
                if durable:
                    raise AuditError(f"audit log unavailable: {self._failed}")
                return
            if not durable and len(self._pending) >= self.max_pending:
                self._dropped += 1
                return
            self._queued += 1
            ticket = self._queued
            self._pending.append((ticket, fields))
            self._cv.notify_all()
            if not durable:
                return
            while self._synced < ticket and self._failed is None:
                self._cv.wait()
            if self._synced < ticket:
                raise AuditError(f"audit log unavailable: {self._failed}")

    def pending(self) -> int:
        """Lines queued and not yet written (bounded by ``max_pending`` plus waiting servers)."""
        with self._cv:
            return len(self._pending)

    def flush(self) -> None:
        """Wait until every line recorded so far is on disk."""
        with self._cv:
            target = self._queued
            while self._synced < target and self._failed is None and self._thread is not None:
                self._cv.wait(0.5)

    def close(self) -> None:
        """Write what is queued, then stop the writer and close the file."""
        if self._thread is None:
            return
        self.flush()
        with self._cv:
            self._closing = True
            self._cv.notify_all()
        self._thread.join()
        self._fh.close()
        self._thread = None

    def _run(self) -> None:
        while True:
            with self._cv:
                while not self._pending and not self._dropped and not self._closing:
                    self._cv.wait()
                if self._closing and not self._pending and not self._dropped:
                    return
                batch, self._pending = self._pending, []
                dropped, self._dropped = self._dropped, 0
            lines: list[bytes] = []
            for _, fields in batch:
                lines.append(self._next_line(fields))
            if dropped:
                lines.append(
                    self._next_line(
                        {"event": "audit_overflow", "dropped": dropped, "ts": self._clock()}
                    )
                )
            try:
                self._fh.write(b"".join(lines))
                self._fh.flush()
                os.fsync(self._fh.fileno())
            except (OSError, ValueError) as err:  # ValueError: the file was closed under us
                logging.getLogger(__name__).exception("audit log write failed")
                with self._cv:
                    self._failed = err
                    self._cv.notify_all()
                return
            with self._cv:
                if batch:
                    self._synced = batch[-1][0]
                self._cv.notify_all()

    def _next_line(self, fields: dict[str, Any]) -> bytes:
        self._seq += 1
        line = _seal(fields, seq=self._seq, prev=self._prev)
        self._prev = hashlib.sha256(line).hexdigest()
        return line + b"\n"
