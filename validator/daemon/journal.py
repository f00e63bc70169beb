"""Crash-safe per-epoch journal of a scoring validator.

One JSON file per (dataset, epoch), replaced atomically: write a temporary file in the same
directory, ``fsync`` it, ``rename`` it over the old one, ``fsync`` the directory. After a crash
at any instant the file is either the previous complete record or the new complete one, never a
torn mix. The salt is part of the record and :meth:`Journal.save` returns only once it is on
disk, which is what lets the daemon send a commit knowing it can always reveal it later.

The journal holds scores and the salt, never plaintext or keys. The file is mode 0600 because
the salt lets anyone who reads it reveal (or front-run the reveal of) our scores early.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from node.errors import DataDaoError
from validator.daemon.state import EpochState, check_transition

__all__ = ["EpochRecord", "Journal", "JournalError"]

FORMAT = "datadao.validator-journal/1"


class JournalError(DataDaoError):
    """The journal cannot be read or written (corrupt file, unknown format, disk error)."""


@dataclass(frozen=True, slots=True)
class EpochRecord:
    """Everything the daemon must remember about one epoch to resume it after a crash.

    ``scores_bps[i]`` belongs to ``file_ids[i]``; ``reasons`` maps a hex file id to why that
    file scored 0 (missing ciphertext, failed authentication, a valuation flag).
    """

    dataset_id: int
    epoch: int
    state: EpochState = EpochState.ASSIGNED
    file_ids: tuple[bytes, ...] = ()
    scores_bps: tuple[int, ...] = ()
    reasons: dict[str, str] = field(default_factory=dict)
    salt: bytes | None = field(default=None, repr=False)
    commitment: bytes | None = None
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
            "scores_bps": list(self.scores_bps),
            "reasons": dict(sorted(self.reasons.items())),
            "salt": None if self.salt is None else self.salt.hex(),
            "commitment": None if self.commitment is None else self.commitment.hex(),
            "tx": dict(sorted(self.tx.items())),
            "missed_reason": self.missed_reason,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> EpochRecord:
        """Raises: JournalError: unknown format or malformed fields."""
        if raw.get("format") != FORMAT:
            raise JournalError(f"unknown journal format {raw.get('format')!r}")
        try:
            salt = raw["salt"]
            commitment = raw["commitment"]
            return cls(
                dataset_id=int(raw["dataset_id"]),
                epoch=int(raw["epoch"]),
                state=EpochState(raw["state"]),
                file_ids=tuple(bytes.fromhex(f) for f in raw["file_ids"]),
                scores_bps=tuple(int(s) for s in raw["scores_bps"]),
                reasons={str(k): str(v) for k, v in raw["reasons"].items()},
                salt=None if salt is None else bytes.fromhex(salt),
                commitment=None if commitment is None else bytes.fromhex(commitment),
                tx={str(k): str(v) for k, v in raw["tx"].items()},
                missed_reason=str(raw["missed_reason"]),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise JournalError(f"malformed journal record ({err})") from None


class Journal:
    """A directory of per-epoch records, ``<dataset>-<epoch>.json``."""

    def __init__(self, root: Path) -> None:
        self._root = root

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
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as err:
            raise JournalError(f"cannot read {path.name}: {err.strerror}") from None
        try:
            raw = json.loads(text)
        except ValueError:
            raise JournalError(f"{path.name} is not JSON") from None
        if not isinstance(raw, dict):
            raise JournalError(f"{path.name} is not a JSON object")
        return EpochRecord.from_json(raw)

    def records(self) -> list[EpochRecord]:
        """Every journaled epoch, oldest first (for the daemon's start-up scan)."""
        if not self._root.is_dir():
            return []
        out = []
        for p in self._root.glob("*-*.json"):
            ds, _, ep = p.stem.partition("-")
            if ds.isdigit() and ep.isdigit():
                rec = self.load(int(ds), int(ep))
                if rec is not None:
                    out.append(rec)
        return sorted(out, key=lambda r: (r.dataset_id, r.epoch))

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
            dir_fd = os.open(self._root, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as err:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise JournalError(f"cannot write the journal: {err.strerror}") from None
