"""Generic JSONL or CSV with a declared text column, for platforms without a dedicated parser.

Accepted format
---------------
One data file: ``*.jsonl`` / ``*.ndjson`` (one JSON object per line) or ``*.csv`` (UTF-8, header
row), on its own, or as the only such file in a zip or folder (else name it with ``member``).
The caller declares the columns:

* ``text_field`` (required, default ``text``): the text; every row must have it as a string;
* ``id_field`` (default ``id``): a stable id when the column exists; otherwise the 1-based line
  (JSONL) or row (CSV) number is used, which is only stable while the file is not reordered;
* ``timestamp_field`` (default ``timestamp``): optional; unix seconds (number or numeric string)
  or ISO 8601 (no offset = UTC); missing or empty means no time;
* ``kind`` (default ``text``): the kind given to every record.

Quirks handled: blank JSONL lines are skipped; rows whose text is empty are skipped; a BOM is
ignored. Both formats are streamed line by line, each line capped by ``Limits.max_record_bytes``.
A data file without one of those extensions (``export.json``, a renamed file) is read as JSONL
when it is the only file and its first line is a JSON object.

Detection: this parser is a *fallback* (``fallback = True``): ``--platform auto`` consults it
only when no platform parser recognised the export, so it can never take a ChatGPT, Reddit, X or
Telegram export. It then claims a single data file whose content plainly is its format with the
default columns: a first JSONL line that is an object with a string ``text``, or a CSV header
with a ``text`` column. Anything else needs ``--platform generic --text-column NAME``.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from node import safejson
from node.parsers._stream import (
    TOO_MANY_DIGITS,
    clean_text,
    iso_time,
    iter_csv,
    iter_lines,
    iter_text,
    unix_time,
)
from node.parsers.archive import ExportSource, MemberReader
from node.parsers.base import Limits, ParsedExport, Record, RecordsCallback, report_records
from node.parsers.errors import (
    EmptyExport,
    InvalidStructure,
    MalformedJSON,
    PlatformError,
    TooManyRecords,
    WrongPlatform,
)

__all__ = ["GenericParser"]

_JSONL = (".jsonl", ".ndjson")
_CSV = (".csv",)
_OBJECT_LINE = re.compile(r"\s*\{")


class GenericParser:
    """Importer for a JSONL/CSV file with declared columns."""

    name = "generic"
    fallback = True
    """Consulted by ``--platform auto`` only when no platform parser matched (registry.py)."""

    def __init__(
        self,
        *,
        text_field: str = "text",
        id_field: str = "id",
        timestamp_field: str = "timestamp",
        kind: str = "text",
        member: str | None = None,
    ) -> None:
        self.text_field = text_field
        self.id_field = id_field
        self.timestamp_field = timestamp_field
        self.kind = kind
        self.member = member

    def sniff(self, source: ExportSource) -> bool:
        """True for one data file whose first line plainly is this format with ``text_field``.

        Only a fallback (see the module docstring): the registry asks only when no platform
        parser recognised the export.
        """
        try:
            member = self._member(source)
        except PlatformError:
            return False
        first = (source.head_text(member) or "").lstrip().split("\n", 1)[0]
        if self._is_jsonl(source, member):
            try:
                obj = safejson.loads(first)
            except (ValueError, RecursionError):
                return False  # a cut first line (over the head size) or not JSON
            return isinstance(obj, dict) and isinstance(obj.get(self.text_field), str)
        try:
            header = next(csv.reader([first]), [])
        except csv.Error:
            return False
        return self.text_field in (h.strip() for h in header)

    def _is_jsonl(self, source: ExportSource, member: str) -> bool:
        name = member.lower()
        if name.endswith(_JSONL):
            return True
        if name.endswith(_CSV):
            return False
        return _OBJECT_LINE.match(source.head_text(member) or "") is not None

    def _member(self, source: ExportSource) -> str:
        if self.member is not None:
            if self.member not in source.names:
                raise WrongPlatform(f"no member {self.member!r}", file=source.label)
            return self.member
        found = [n for n in source.names if n.lower().endswith(_JSONL + _CSV)]
        if not found and len(source.names) == 1:
            # One file of another name (export.json, a renamed download): JSONL by content.
            only = source.names[0]
            if _OBJECT_LINE.match(source.head_text(only) or "") is not None:
                found = [only]
        if not found:
            raise WrongPlatform("no .jsonl, .ndjson or .csv file", file=source.label)
        if len(found) > 1:
            raise PlatformError(
                f"several data files ({', '.join(found[:5])}); choose one with member=",
                file=source.label,
            )
        return found[0]

    def parse(
        self, source: ExportSource, limits: Limits, *, on_records: RecordsCallback | None = None
    ) -> ParsedExport:
        """Stream the data file into records."""
        member = self._member(source)
        file = source.describe(member)
        rows = self._jsonl if self._is_jsonl(source, member) else self._csv
        records: list[Record] = []
        with source.open(member) as fh:
            for record in rows(fh, file, limits):
                if len(records) >= limits.max_records:
                    raise TooManyRecords(f"more than {limits.max_records} records", file=file)
                records.append(record)
                report_records(on_records, len(records))
        if not records:
            raise EmptyExport("no rows with text", file=file)
        report_records(on_records, len(records), final=True)
        return ParsedExport(
            platform=self.name, account=None, records=tuple(records), source=source.label
        )

    def _jsonl(self, fh: MemberReader, file: str, limits: Limits) -> Iterator[Record]:
        lines = iter_lines(iter_text(fh, file=file), file=file, max_chars=limits.max_record_bytes)
        for lineno, line in lines:
            if not line.strip():
                continue
            try:
                obj = safejson.loads(line)
            except safejson.JsonTooDeep:
                raise MalformedJSON("nesting too deep", file=file, line=lineno) from None
            except json.JSONDecodeError as err:
                raise MalformedJSON(err.msg, file=file, line=lineno, column=err.colno) from None
            except ValueError:  # an integer over Python's 4,300-digit conversion limit
                raise MalformedJSON(TOO_MANY_DIGITS, file=file, line=lineno) from None
            except RecursionError:
                raise MalformedJSON("nesting too deep", file=file, line=lineno) from None
            if not isinstance(obj, dict):
                raise InvalidStructure("each line must be a JSON object", file=file, line=lineno)
            if self.text_field not in obj:
                raise InvalidStructure(f"no {self.text_field!r} field", file=file, line=lineno)
            record = self._record(obj, str(lineno), file=file, line=lineno, row=None)
            if record is not None:
                yield record

    def _csv(self, fh: MemberReader, file: str, limits: Limits) -> Iterator[Record]:
        rows = iter_csv(
            fh, file=file, max_chars=limits.max_record_bytes, required=(self.text_field,)
        )
        for row in rows:
            record = self._record(row.values, str(row.row), file=file, line=None, row=row.row)
            if record is not None:
                yield record

    def _record(
        self, obj: dict[str, Any], fallback_id: str, *, file: str, line: int | None, row: int | None
    ) -> Record | None:
        text = obj[self.text_field]
        if not isinstance(text, str):
            raise InvalidStructure(
                f"{self.text_field!r} must be a string", file=file, line=line, row=row
            )
        if not text.strip():
            return None
        rid = obj.get(self.id_field)
        if isinstance(rid, int) and not isinstance(rid, bool):
            rid = str(rid)
        if not isinstance(rid, str) or not rid:
            rid = fallback_id
        return Record(
            id=clean_text(rid),
            timestamp=self._time(obj.get(self.timestamp_field), file=file, line=line, row=row),
            kind=self.kind,
            text=clean_text(text),
        )

    def _time(self, value: Any, *, file: str, line: int | None, row: int | None) -> datetime | None:
        if value is None or value == "":
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return unix_time(value, file=file, line=line, row=row)
        if isinstance(value, str):
            if value.strip().replace(".", "", 1).isdigit():
                return unix_time(value, file=file, line=line, row=row)
            return iso_time(value, file=file, line=line, row=row)
        raise InvalidStructure(
            f"{self.timestamp_field!r} must be a number or a string", file=file, line=line, row=row
        )
