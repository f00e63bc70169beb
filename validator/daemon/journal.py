"""Crash-safe per-epoch journal of a scoring validator.

One JSON file per (dataset, epoch), replaced atomically: write a temporary file in the same
directory, ``fsync`` it, ``rename`` it over the old one, ``fsync`` the directory. After a crash
at any instant the file is either the previous complete record or the new complete one, never a
torn mix. The salt is part of the record and :meth:`Journal.save` returns only once it is on
disk, which is what lets the daemon send a commit knowing it can always reveal it later.

The journal holds scores and the salt, never plaintext or keys. Under protocol v2 a scored
record holds everything the reveal needs: each file's nano units (from which the score vector,
its canonical bytes, root and CID are rebuilt byte for byte), the root and total committed to,
the salt, and once published the vector's CID, so a crash between commit and reveal loses
nothing. The file is mode 0600 because
the salt lets anyone who reads it reveal (or front-run the reveal of) our scores early.

A record that exists but cannot be read back (bit rot, a truncated copy restored by hand, a file
edited by an operator) is a :class:`CorruptRecord`. It must not stop everything else that reads
the journal: :meth:`Journal.records` (``validator status``, ``/metrics``) skips it with a
logged warning, and the daemon moves it aside with :meth:`Journal.quarantine` (renamed to
``<name>.corrupt-<n>``, kept for the post-mortem) and records the epoch as MISSED with the
reason, instead of failing on that epoch every tick for ever. MISSED is the only safe verdict:
the lost record may have held the salt of a commitment already on chain, and a fresh salt can
never reveal it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from node.errors import DataDaoError
from node.protocol.scorevector import UNITS, ScoreVector, ScoreVectorError
from node.safejson import too_deep
from node.types import DatasetId, Epoch, FileId
from validator.daemon.state import EpochState, check_transition

__all__ = ["CorruptRecord", "EpochRecord", "Journal", "JournalError"]

FORMAT = "datadao.validator-journal/2"  # v2: units, root, total, vector CID (issue #16)
MAX_RECORD_BYTES = 1 << 24  # a record holds one score per file; 16 MiB is far past any epoch
_MAX_DEPTH = 4  # a record is an object of lists and flat objects: depth 2

log = logging.getLogger(__name__)


class JournalError(DataDaoError):
    """The journal cannot be read or written (corrupt file, unknown format, disk error)."""


class CorruptRecord(JournalError):
    """A record exists but its bytes are not a valid record (as opposed to a disk error, which
    may pass): quarantine it rather than retry it."""


@dataclass(frozen=True, slots=True)
class EpochRecord:
    """Everything the daemon must remember about one epoch to resume it after a crash.

    ``units[i]`` (nano units of the pool) belongs to ``file_ids[i]``; ``reasons`` maps a hex
    file id to why that file scored 0 (missing ciphertext, failed authentication, a valuation
    flag). ``root`` and ``total`` are what the commitment binds; ``vector_cid`` is where the
    vector was published (``None`` until it is).
    """

    dataset_id: int
    epoch: int
    state: EpochState = EpochState.ASSIGNED
    file_ids: tuple[bytes, ...] = ()
    units: tuple[int, ...] = ()
    reasons: dict[str, str] = field(default_factory=dict)
    salt: bytes | None = field(default=None, repr=False)
    commitment: bytes | None = None
    root: bytes | None = None
    total: int = 0
    vector_cid: str | None = None
    tx: dict[str, str] = field(default_factory=dict)  # step name -> tx hash (hex)
    missed_reason: str = ""

    def advance(self, new: EpochState, **changes: Any) -> EpochRecord:
        """A copy in state ``new`` with ``changes`` applied; refuses a disallowed step.

        Raises:
            IllegalTransition: the state machine does not allow ``state → new``.
        """
        check_transition(self.state, new)
        return replace(self, state=new, **changes)

    def miss(self, reason: str) -> EpochRecord:
        """The terminal MISSED copy, keeping everything else for the post-mortem."""
        return self.advance(EpochState.MISSED, missed_reason=reason)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "dataset_id": self.dataset_id,
            "epoch": self.epoch,
            "state": self.state.value,
            "file_ids": [f.hex() for f in self.file_ids],
            "units": list(self.units),
            "reasons": dict(sorted(self.reasons.items())),
            "salt": None if self.salt is None else self.salt.hex(),
            "commitment": None if self.commitment is None else self.commitment.hex(),
            "root": None if self.root is None else self.root.hex(),
            "total": str(self.total),
            "vector_cid": self.vector_cid,
            "tx": dict(sorted(self.tx.items())),
            "missed_reason": self.missed_reason,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> EpochRecord:
        """Raises: CorruptRecord: unknown format, malformed fields, or a record that breaks the
        state machine's invariants (a VALUED+ record without its salt and commitment, scores
        that do not match the files)."""
        if raw.get("format") != FORMAT:
            raise CorruptRecord(f"unknown journal format {str(raw.get('format'))[:40]!r}")
        try:
            salt = raw["salt"]
            commitment = raw["commitment"]
            root = raw["root"]
            cid = raw["vector_cid"]
            if cid is not None and not isinstance(cid, str):
                raise TypeError("vector_cid")
            if not isinstance(raw["total"], str) or not raw["total"].isdigit():
                raise ValueError("total")
            if any(type(u) is not int for u in raw["units"]):
                raise TypeError("units")
            rec = cls(
                dataset_id=int(raw["dataset_id"]),
                epoch=int(raw["epoch"]),
                state=EpochState(raw["state"]),
                file_ids=tuple(bytes.fromhex(f) for f in raw["file_ids"]),
                units=tuple(raw["units"]),
                reasons={str(k): str(v) for k, v in raw["reasons"].items()},
                salt=None if salt is None else bytes.fromhex(salt),
                commitment=None if commitment is None else bytes.fromhex(commitment),
                root=None if root is None else bytes.fromhex(root),
                total=int(raw["total"][:80]),
                vector_cid=cid,
                tx={str(k): str(v) for k, v in raw["tx"].items()},
                missed_reason=str(raw["missed_reason"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise CorruptRecord(f"malformed journal record ({type(err).__name__})") from None
        rec.check()
        return rec

    def check(self) -> None:
        """Raises: CorruptRecord: fields a state needs are missing or inconsistent."""
        if any(len(f) != 32 for f in self.file_ids):
            raise CorruptRecord("a file id is not 32 bytes")
        if self.state in _SCORED:
            if self.salt is None or len(self.salt) != 32:
                raise CorruptRecord(f"a {self.state} record without a 32-byte salt")
            if self.commitment is None or len(self.commitment) != 32:
                raise CorruptRecord(f"a {self.state} record without a 32-byte commitment")
            if len(self.units) != len(self.file_ids):
                raise CorruptRecord("units and file ids differ in length")
            if self.root is None or self.vector().root != self.root:
                raise CorruptRecord("the root is not the root of the journaled units")
            if self.total != sum(self.units) or self.total not in (0, UNITS):
                raise CorruptRecord("the total is not the sum of the units (10**9 or 0)")
        if any(not 0 <= u <= UNITS for u in self.units):
            raise CorruptRecord("a score outside 0..10**9 units")
        if self.vector_cid is not None and not 0 < len(self.vector_cid) <= 200:
            raise CorruptRecord("a malformed vector CID")

    def vector(self) -> ScoreVector:
        """The epoch's score vector, rebuilt from the journaled units: the same bytes, root and
        CID every time (the journal is the only place they are kept).

        Raises:
            CorruptRecord: the units do not form a vector (duplicate ids, bad values).
        """
        if len(set(self.file_ids)) != len(self.file_ids):
            raise CorruptRecord("the journal lists a file id twice")
        try:
            return ScoreVector.from_units(
                DatasetId(self.dataset_id),
                Epoch(self.epoch),
                dict(zip((FileId(f) for f in self.file_ids), self.units, strict=True)),
            )
        except (ScoreVectorError, ValueError) as err:
            raise CorruptRecord(f"the journaled units are not a score vector ({err})") from None


_SCORED = frozenset({EpochState.VALUED, EpochState.COMMITTED, EpochState.REVEALED})


class Journal:
    """A directory of per-epoch records, ``<dataset>-<epoch>.json``."""

    def __init__(self, root: Path) -> None:
        self._root = root
        # path -> (inode, size, mtime_ns) and the record parsed from it: the daemon loads the
        # current epoch's record every tick, and checking a 10,000-file record rebuilds its
        # Merkle tree (20,000 keccaks); a record is only ever replaced whole (save), which
        # gives the path a new inode, so an unchanged identity means unchanged bytes.
        self._parsed: dict[Path, tuple[tuple[int, int, int], EpochRecord]] = {}

    @property
    def root(self) -> Path:
        return self._root

    def _path(self, dataset_id: int, epoch: int) -> Path:
        return self._root / f"{dataset_id}-{epoch}.json"

    def load(self, dataset_id: int, epoch: int) -> EpochRecord | None:
        """The record, or ``None`` if this epoch was never journaled.

        Raises:
            JournalError: the file exists but cannot be read back.
        """
        path = self._path(dataset_id, epoch)
        try:
            with path.open("rb") as fh:
                st = os.fstat(fh.fileno())
                ident = (st.st_ino, st.st_size, st.st_mtime_ns)
                hit = self._parsed.get(path)
                if hit is not None and hit[0] == ident:
                    return replace(hit[1], reasons=dict(hit[1].reasons))
                data = fh.read(MAX_RECORD_BYTES + 1)
        except FileNotFoundError:
            self._parsed.pop(path, None)
            return None
        except OSError as err:  # a disk error may pass: retried, not quarantined
            raise JournalError(f"cannot read {path.name}: {err.strerror}") from None
        if len(data) > MAX_RECORD_BYTES:
            raise CorruptRecord(f"{path.name} is over {MAX_RECORD_BYTES} bytes")
        if too_deep(data, limit=_MAX_DEPTH):  # before decoding: see node.safejson
            raise CorruptRecord(f"{path.name} nests deeper than a record (not JSON of one)")
        try:
            raw = json.loads(data.decode("utf-8"))
        except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
            raise CorruptRecord(f"{path.name} is not UTF-8 JSON") from None
        if not isinstance(raw, dict):
            raise CorruptRecord(f"{path.name} is not a JSON object")
        rec = EpochRecord.from_json(raw)
        if (rec.dataset_id, rec.epoch) != (dataset_id, epoch):
            raise CorruptRecord(f"{path.name} holds dataset {rec.dataset_id} epoch {rec.epoch}")
        self._parsed[path] = (ident, rec)
        return replace(rec, reasons=dict(rec.reasons))

    def records(self) -> list[EpochRecord]:
        """Every readable journaled epoch, oldest first (``validator status``, ``/metrics``).

        A record that cannot be read is skipped with a logged warning, so one bad file does not
        hide every other epoch (see :meth:`unreadable` to list them).
        """
        good, bad = self.scan()
        for path, why in bad:
            log.warning("journal record skipped", extra={"path": path.name, "reason": why})
        return good

    def unreadable(self) -> list[tuple[Path, str]]:
        """The records :meth:`records` skips, with why (for an operator's status view)."""
        return self.scan()[1]

    def scan(self) -> tuple[list[EpochRecord], list[tuple[Path, str]]]:
        """Readable records (oldest first) and unreadable ones with the reason."""
        if not self._root.is_dir():
            return [], []
        out: list[EpochRecord] = []
        bad: list[tuple[Path, str]] = []
        for p in self._root.glob("*-*.json"):
            ds, _, ep = p.stem.partition("-")
            if not (ds.isdigit() and ep.isdigit()):
                continue
            try:
                rec = self.load(int(ds), int(ep))
            except JournalError as err:
                bad.append((p, str(err)))
                continue
            if rec is not None:
                out.append(rec)
        return sorted(out, key=lambda r: (r.dataset_id, r.epoch)), sorted(bad)

    def quarantine(self, dataset_id: int, epoch: int) -> Path:
        """Move the epoch's record aside to ``<name>.corrupt-<n>`` (never overwriting an earlier
        one) and return the new path; the epoch then reads as never journaled.

        Raises:
            JournalError: the rename failed (the record is left where it was).
        """
        src = self._path(dataset_id, epoch)
        try:
            for n in range(1, 1000):
                dst = src.with_name(f"{src.name}.corrupt-{n}")
                if not dst.exists():
                    # link + unlink: never replaces an existing quarantined copy
                    os.link(src, dst)
                    os.unlink(src)
                    self._sync_dir()
                    return dst
        except OSError as err:
            raise JournalError(f"cannot quarantine {src.name}: {err.strerror}") from None
        raise JournalError(f"cannot quarantine {src.name}: too many quarantined copies")

    def _sync_dir(self) -> None:
        dir_fd = os.open(self._root, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def save(self, record: EpochRecord) -> None:
        """Durably replace the epoch's record; returns only after data and rename are on disk.

        Raises:
            JournalError: the write failed; the previous record is left intact.
        """
        data = json.dumps(record.to_json(), sort_keys=True, indent=1).encode("utf-8") + b"\n"
        target = self._path(record.dataset_id, record.epoch)
        try:
            self._root.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self._root, prefix=f".{target.name}.", suffix=".tmp")
        except OSError as err:
            raise JournalError(f"cannot write the journal: {err.strerror}") from None
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
            self._sync_dir()
        except OSError as err:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise JournalError(f"cannot write the journal: {err.strerror}") from None
