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

from node.safejson import too_deep
from validator.valuation.errors import DataFormatError

__all__ = [
    "Contribution",
    "Record",
    "load_contributions",
    "load_records",
    "parse_jsonl",
]

MAX_FILE_BYTES = 512 * 2**20
_MAX_LABEL_DIGITS = 64  # a class label, not a number to compute with
MAX_JSONL_DEPTH = 32
"""Deepest nesting of arrays and objects a contributor's JSONL line may have (a record is an
object of strings and numbers: depth 1). Measured before decoding (:mod:`node.safejson`: in a
process that imported web3 the C decoder segfaults on deep nesting instead of raising)."""


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

    Every way the bytes can be wrong (encoding, JSON, nesting, huge numbers, lone surrogates,
    field types) is a DataFormatError naming the line, never another exception: a contributor
    chooses these bytes.

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
        if too_deep(line, limit=MAX_JSONL_DEPTH):
            raise DataFormatError(f"line {lineno}: nested deeper than {MAX_JSONL_DEPTH} levels")
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataFormatError(f"line {lineno}: not JSON ({err.msg})") from None
        except RecursionError:
            raise DataFormatError(f"line {lineno}: nesting too deep") from None
        except ValueError as err:  # e.g. an integer over Python's 4,300-digit limit
            raise DataFormatError(f"line {lineno}: not JSON ({err})") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            raise DataFormatError(f'line {lineno}: expected an object with a string "text"')
        label = obj.get("label")
        if label is not None and (isinstance(label, bool) or not isinstance(label, str | int)):
            raise DataFormatError(f'line {lineno}: "label" must be a string or an integer')
        if isinstance(label, int) and abs(label) >= 10**_MAX_LABEL_DIGITS:
            raise DataFormatError(f'line {lineno}: "label" has over {_MAX_LABEL_DIGITS} digits')
        for name, value in (("text", obj["text"]), ("label", label)):
            if isinstance(value, str) and not _encodable(value):
                # "\ud800" parses, but featurizers encode text as UTF-8 and would fail later
                raise DataFormatError(f'line {lineno}: "{name}" holds a lone surrogate')
        records.append(Record(obj["text"], None if label is None else str(label)))
    return tuple(records)


def _encodable(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
        except Exception as err:  # hostile input: whatever fails is the contributor's file
            out.append(Contribution(path.stem, (), malformed=f"unreadable ({type(err).__name__})"))
    return out
