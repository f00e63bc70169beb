"""What validators leave under ``<home>/validator/<address>/``, read as documented on disk.

``node`` never imports ``validator`` (import-linter), so this reads the files' documented
formats itself, read-only and defensively (a file being replaced, a hostile or torn record):

* ``journal/<dataset>-<epoch>.json``: the daemon's per-epoch record, format
  ``datadao.validator-journal/1`` (``validator/daemon/journal.py``). The ``salt`` is never
  returned: whoever reads it can reveal the validator's scores early.
* ``labels/epoch-<N>/report.json`` and ``label.png``: the nutrition label
  (``validator/valuation/report.py``).
* ``audit*.jsonl``: the share service's hash-chained audit lines (``validator/shares/audit.py``).

Addresses are checked to be 0x + 40 hex digits and epochs to be integers before any path is
built, so no request parameter can point outside the data dir.
"""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from node.errors import InputError
from node.safejson import too_deep

__all__ = [
    "JOURNAL_FORMAT",
    "AuditLine",
    "JournalEntry",
    "Label",
    "audit_tail",
    "file_reasons",
    "journal",
    "label",
    "labels",
    "validator_dirs",
]

JOURNAL_FORMAT = "datadao.validator-journal/1"
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_MAX_JSON = 1 << 24
_JOURNAL_NAME = re.compile(r"(\d+)-(\d+)\.json")
_LABEL_DIR = re.compile(r"epoch-(\d+)")


class UnknownValidator(InputError):
    """Not an address, or no validator directory for it in this data dir."""


def _root(home: Path) -> Path:
    return home / "validator"


def _dir(home: Path, address: str) -> Path:
    if not _ADDRESS.fullmatch(address):
        raise UnknownValidator("not an address")
    return _root(home) / address


def validator_dirs(home: Path) -> list[str]:
    """The addresses that have a directory in this data dir (on the devnet: all four)."""
    root = _root(home)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and _ADDRESS.fullmatch(p.name))


def _read_json(path: Path) -> Any:
    try:
        with path.open("rb") as fh:
            data = fh.read(_MAX_JSON + 1)
    except OSError:
        return None
    if len(data) > _MAX_JSON or too_deep(data):
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


@dataclass(frozen=True)
class JournalEntry:
    dataset_id: int
    epoch: int
    state: str
    files: int
    scores_bps: tuple[int, ...]
    file_ids: tuple[str, ...]
    reasons: dict[str, str]
    missed_reason: str
    tx: dict[str, str]


@dataclass(frozen=True)
class JournalScan:
    entries: list[JournalEntry] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


def _entry(raw: Any) -> JournalEntry | None:
    if not isinstance(raw, dict) or raw.get("format") != JOURNAL_FORMAT:
        return None
    try:
        file_ids = tuple(str(f) for f in raw["file_ids"])
        return JournalEntry(
            dataset_id=int(raw["dataset_id"]),
            epoch=int(raw["epoch"]),
            state=str(raw["state"]),
            files=len(file_ids),
            scores_bps=tuple(int(s) for s in raw["scores_bps"]),
            file_ids=file_ids,
            reasons={str(k): str(v) for k, v in dict(raw["reasons"]).items()},
            missed_reason=str(raw.get("missed_reason") or ""),
            tx={str(k): str(v) for k, v in dict(raw.get("tx") or {}).items()},
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def journal(home: Path, address: str) -> JournalScan:
    """Every readable journaled epoch of ``address``, oldest first, and the names of the records
    that could not be read (listed, not fatal: ``validator status`` does the same)."""
    root = _dir(home, address) / "journal"
    scan = JournalScan()
    if not root.is_dir():
        return scan
    for path in root.iterdir():
        if not _JOURNAL_NAME.fullmatch(path.name):
            continue
        entry = _entry(_read_json(path))
        if entry is None:
            scan.unreadable.append(path.name)
        else:
            scan.entries.append(entry)
    scan.entries.sort(key=lambda e: (e.dataset_id, e.epoch))
    scan.unreadable.sort()
    return scan


def file_reasons(home: Path, dataset_id: int) -> dict[str, list[str]]:
    """Why each file scored 0, as the validators journaled it: ``{file id hex (no 0x):
    [reason, ...]}``, one reason per distinct wording (validators usually agree)."""
    found: dict[str, list[str]] = {}
    for address in validator_dirs(home):
        for entry in journal(home, address).entries:
            if entry.dataset_id != dataset_id:
                continue
            for fid, why in entry.reasons.items():
                reasons = found.setdefault(fid.lower().removeprefix("0x"), [])
                if why not in reasons:
                    reasons.append(why)
    return found


@dataclass(frozen=True)
class Label:
    validator: str
    epoch: int
    report: dict[str, Any] | None
    has_png: bool

    @property
    def contributors(self) -> list[dict[str, Any]]:
        rows = (self.report or {}).get("contributors")
        return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []


def labels(home: Path) -> dict[int, list[Label]]:
    """Every nutrition label in the data dir, by epoch (one per validator that wrote one)."""
    out: dict[int, list[Label]] = {}
    for address in validator_dirs(home):
        root = _dir(home, address) / "labels"
        if not root.is_dir():
            continue
        for folder in root.iterdir():
            m = _LABEL_DIR.fullmatch(folder.name)
            if m is None or not folder.is_dir():
                continue
            raw = _read_json(folder / "report.json")
            out.setdefault(int(m.group(1)), []).append(
                Label(
                    validator=address,
                    epoch=int(m.group(1)),
                    report=raw if isinstance(raw, dict) else None,
                    has_png=(folder / "label.png").is_file(),
                )
            )
    return {e: sorted(v, key=lambda lab: lab.validator) for e, v in sorted(out.items())}


def label_file(home: Path, address: str, epoch: int, name: str) -> Path:
    """The path of one label file (``label.png`` or ``report.json``) for serving.

    Raises:
        UnknownValidator: a malformed address; InputError: another name, or no such file.
    """
    if name not in ("label.png", "report.json"):
        raise InputError("no such label file")
    path = _dir(home, address) / "labels" / f"epoch-{int(epoch)}" / name
    if not path.is_file():
        raise InputError("no such label file")
    return path


def label(home: Path, epoch: int) -> list[Label]:
    return labels(home).get(int(epoch), [])


@dataclass(frozen=True)
class AuditLine:
    seq: int | None
    ts: float | None
    event: str
    fields: dict[str, str]


_AUDIT_HIDDEN = frozenset({"seq", "ts", "prev", "sha256", "event"})


def audit_tail(home: Path, address: str, lines: int = 20) -> list[AuditLine]:
    """The share service's last ``lines`` audit lines, newest first (unparseable lines are
    skipped: ``datadao validator audit verify`` is the tool that judges the file)."""
    root = _dir(home, address)
    if not root.is_dir():
        return []
    tail: deque[str] = deque(maxlen=lines)
    for path in sorted(root.glob("audit*.jsonl")):
        try:
            with path.open("r", encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    tail.append(line)
        except OSError:
            continue
    out = []
    for line in reversed(tail):
        if too_deep(line.encode("utf-8", "replace")):
            continue
        try:
            raw = json.loads(line)
        except ValueError:
            continue
        if not isinstance(raw, dict):
            continue
        seq, ts = raw.get("seq"), raw.get("ts")
        out.append(
            AuditLine(
                seq=seq if isinstance(seq, int) else None,
                ts=float(ts) if isinstance(ts, int | float) else None,
                event=str(raw.get("event") or raw.get("decision") or ""),
                fields={
                    str(k): str(v)[:200] for k, v in sorted(raw.items()) if k not in _AUDIT_HIDDEN
                },
            )
        )
    return out
