"""Contributor files: one canonical JSONL file per contributor, one JSON object per line.

Each line holds at least ``"text"`` (a string) and optionally ``"label"`` (string or integer).
The contributor id is the file name without ``.jsonl``; contributors are valued in the byte order
of their ids, which is what mask column ``j`` refers to (masks.py). A contributor's unreadable
file is not an error: it is recorded on the :class:`Contribution` and later flagged and scored 0.
The validation set and pool are the DAO's own files, so for them a bad line raises.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from validator.valuation.errors import DataFormatError

__all__ = [
    "Contribution",
    "Record",
    "load_contributions",
    "load_records",
    "parse_jsonl",
]

MAX_FILE_BYTES = 512 * 2**20


@dataclass(frozen=True, slots=True)
class Record:
    """One example: text, and a label for classification datasets."""

    text: str
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Contribution:
    """A contributor's records, or the reason they could not be read (``malformed``)."""

    contributor: str
    records: tuple[Record, ...]
    malformed: str | None = None


def parse_jsonl(raw: bytes) -> tuple[Record, ...]:
    """Records from canonical JSONL bytes.

    Raises:
        DataFormatError: not UTF-8, a line that is not a JSON object, or a bad text/label field.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DataFormatError(f"not UTF-8 at byte {err.start}") from err
    records: list[Record] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataFormatError(f"line {lineno}: not JSON ({err.msg})") from err
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            raise DataFormatError(f'line {lineno}: expected an object with a string "text"')
        label = obj.get("label")
        if label is not None and (isinstance(label, bool) or not isinstance(label, str | int)):
            raise DataFormatError(f'line {lineno}: "label" must be a string or an integer')
        records.append(Record(obj["text"], None if label is None else str(label)))
    return tuple(records)


def _read_capped(path: Path) -> bytes:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise DataFormatError(f"{path.name} is {size} bytes; the limit is {MAX_FILE_BYTES}")
    return path.read_bytes()


def load_records(path: Path) -> tuple[Record, ...]:
    """The validation set or pool (DAO-owned files): any problem raises DataFormatError."""
    try:
        return parse_jsonl(_read_capped(path))
    except OSError as err:
        raise DataFormatError(f"cannot read {path}: {err}") from err
    except DataFormatError as err:
        raise DataFormatError(f"{path}: {err}") from err


def load_contributions(folder: Path) -> list[Contribution]:
    """Every ``*.jsonl`` in ``folder``, in canonical (byte-sorted id) order.

    Raises:
        DataFormatError: the folder is missing or holds no contributor files.
    """
    if not folder.is_dir():
        raise DataFormatError(f"{folder} is not a directory")
    paths = sorted(folder.glob("*.jsonl"), key=lambda p: p.stem.encode())
    if not paths:
        raise DataFormatError(f"no *.jsonl contributor files in {folder}")
    out: list[Contribution] = []
    for path in paths:
        try:
            out.append(Contribution(path.stem, parse_jsonl(_read_capped(path))))
        except (DataFormatError, OSError) as err:
            out.append(Contribution(path.stem, (), malformed=str(err)))
    return out
