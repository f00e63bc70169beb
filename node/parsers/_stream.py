"""Streaming building blocks shared by the parsers (private).

* :func:`iter_text` decodes a member as strict UTF-8 in chunks and reports the byte offset of the
  first invalid byte.
* :func:`iter_lines` splits decoded text into lines with a per-line cap, so one giant line cannot
  be read into memory before it is refused.
* :class:`JsonCursor` + :func:`iter_json` walk a JSON document incrementally: the caller says
  which containers to *descend* into (the big top-level array of conversations, Telegram's
  ``chats.list[*].messages``), and every other value is decoded whole by the C decoder
  (``JSONDecoder.raw_decode``) and yielded with its path and line/column. Memory is bounded by
  the largest single value (capped by ``Limits.max_record_bytes``) plus one read chunk, instead
  of the whole document plus its object tree, which is what ``json.load`` would hold.

Positions in errors are 1-based line and column, as editors show them.
"""

from __future__ import annotations

import codecs
import csv
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from node.parsers.archive import Readable
from node.parsers.errors import (
    EmptyExport,
    InvalidEncoding,
    InvalidTimestamp,
    MalformedCSV,
    MalformedJSON,
    MissingColumn,
    RecordTooLarge,
)
from node.safejson import too_deep

CHUNK = 1 << 20
_NONWS = re.compile(r"[^ \t\n\r]")
_NUMBER_TAIL = re.compile(r"[0-9.eE+\-]*")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# A decode error this close to the end of the buffer may just mean the value continues in the
# next chunk (a truncated number, literal or escape), so read more before believing it.
_TAIL = 64

JsonPath = tuple[str | int, ...]

TOO_MANY_DIGITS = "a number in this value has too many digits to read (over 4300)"
"""The reason given when Python's int-string conversion limit refuses a JSON integer."""

# Unix seconds for 1970-01-01 .. 9999-12-31: anything outside is not a real message time.
_MAX_UNIX = 253_402_300_799


def iter_text(reader: Readable, *, file: str, chunk_size: int = CHUNK) -> Iterator[str]:
    """Decode ``reader`` as strict UTF-8, chunk by chunk; a leading BOM is dropped.

    Raises:
        InvalidEncoding: with the byte offset of the first byte that is not UTF-8.
    """
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    fed = 0
    first = True
    while True:
        data = reader.read(chunk_size)
        final = not data
        pending = len(decoder.getstate()[0])
        try:
            text = decoder.decode(data, final)
        except UnicodeDecodeError as err:
            raise InvalidEncoding(
                "not valid UTF-8", file=file, offset=fed - pending + err.start
            ) from err
        fed += len(data)
        if first and text:
            first = False
            if text.startswith("\ufeff"):
                text = text[1:]
        if text:
            yield text
        if final:
            return


def iter_lines(chunks: Iterator[str], *, file: str, max_chars: int) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` with the line ending kept; refuse lines over ``max_chars``."""
    pending = ""
    lineno = 0
    for chunk in chunks:
        buf = pending + chunk if pending else chunk
        start = 0
        while True:
            nl = buf.find("\n", start)
            if nl < 0:
                break
            lineno += 1
            if nl + 1 - start > max_chars:
                raise RecordTooLarge(
                    f"line longer than {max_chars} characters", file=file, line=lineno
                )
            yield lineno, buf[start : nl + 1]
            start = nl + 1
        pending = buf[start:]
        if len(pending) > max_chars:
            raise RecordTooLarge(
                f"line longer than {max_chars} characters", file=file, line=lineno + 1
            )
    if pending:
        yield lineno + 1, pending


@dataclass(frozen=True, slots=True)
class JsonItem:
    """A value decoded whole, with where it sits in the document."""

    path: JsonPath
    value: Any
    line: int
    column: int


class JsonCursor:
    """An incremental reader over a JSON text arriving in chunks.

    The buffer keeps only the unconsumed tail (it is compacted once the consumed part is large),
    and line numbers are tracked incrementally at each item start so that an error anywhere can
    still be reported with its absolute line and column.
    """

    def __init__(self, chunks: Iterator[str], *, file: str, max_value_chars: int) -> None:
        self.file = file
        self._chunks = chunks
        self._max = max_value_chars
        self._dec = json.JSONDecoder()
        self.buf = ""
        self.pos = 0
        self.eof = False
        self._base = 0  # absolute index of buf[0]
        self._mark = 0  # absolute index up to which newlines have been counted
        self._mark_line = 1
        self._mark_nl = -1  # absolute index of the last newline before _mark

    # -- buffer ---------------------------------------------------------------------------
    def _fill(self) -> bool:
        if self.eof:
            return False
        if self.pos > CHUNK and self.pos * 2 > len(self.buf):
            self._advance_mark(self.pos)
            self.buf = self.buf[self.pos :]
            self._base += self.pos
            self.pos = 0
        try:
            chunk = next(self._chunks)
        except StopIteration:
            self.eof = True
            return False
        self.buf = self.buf + chunk if self.buf else chunk
        return True

    def _advance_mark(self, rel: int) -> None:
        start = self._mark - self._base
        n = self.buf.count("\n", start, rel)
        if n:
            self._mark_line += n
            self._mark_nl = self._base + self.buf.rfind("\n", start, rel)
        self._mark = self._base + rel

    def location(self, rel: int) -> tuple[int, int]:
        """1-based (line, column) of buffer index ``rel`` (which must not precede the mark)."""
        start = self._mark - self._base
        n = self.buf.count("\n", start, rel)
        nl = self._base + self.buf.rfind("\n", start, rel) if n else self._mark_nl
        return self._mark_line + n, self._base + rel - nl

    def mark_here(self) -> tuple[int, int]:
        """Location of the current position; also moves the line mark there."""
        self._advance_mark(self.pos)
        return self._mark_line, self._base + self.pos - self._mark_nl

    def malformed(self, reason: str, rel: int) -> MalformedJSON:
        """A :class:`MalformedJSON` at buffer index ``rel``."""
        line, column = self.location(rel)
        return MalformedJSON(reason, file=self.file, line=line, column=column)

    # -- tokens ---------------------------------------------------------------------------
    def peek(self) -> str:
        """Skip whitespace and return the next character ('' at the end of the input)."""
        while True:
            m = _NONWS.search(self.buf, self.pos)
            if m is not None:
                self.pos = m.start()
                return self.buf[self.pos]
            self.pos = len(self.buf)
            if not self._fill():
                return ""

    def skip_prefix(self, pattern: re.Pattern[str], *, max_chars: int = 4096) -> bool:
        """Consume ``pattern`` at the start of the input; False when it does not match there."""
        while len(self.buf) < max_chars and self._fill():
            pass
        m = pattern.match(self.buf, self.pos)
        if m is None:
            return False
        self.pos = m.end()
        return True

    def decode(self) -> Any:
        """Decode one complete value at the current position."""
        while True:
            start = self.pos
            if too_deep(self.buf, start=start):  # the C decoder would overflow its stack
                raise self.malformed("nesting too deep", start)
            try:
                value, end = self._dec.raw_decode(self.buf, start)
            except json.JSONDecodeError as err:
                maybe_truncated = err.pos >= len(self.buf) - _TAIL or err.msg.startswith(
                    "Unterminated string"
                )
                if maybe_truncated and not self.eof:
                    self._grow(start)
                    continue
                raise self.malformed(err.msg, err.pos) from None
            except ValueError:
                # Not a syntax error: the C decoder refuses to convert an integer of more than
                # sys.get_int_max_str_digits() (4,300) digits, a guard against quadratic work.
                # No later chunk can make the number shorter, so it is refused now.
                raise self.malformed(TOO_MANY_DIGITS, start) from None
            except RecursionError:
                raise self.malformed("nesting too deep", start) from None
            if (
                isinstance(value, int | float)
                and not self.eof
                and _NUMBER_TAIL.match(self.buf, end).end() >= len(self.buf)  # type: ignore[union-attr]
            ):
                # A number cut by the chunk boundary ("0" of "0.5", "1" of "1e3"): the scanner
                # stops early without an error, so read until the number-like run is complete.
                self._grow(start)
                continue
            if end - start > self._max:
                self._too_large(start)
            self.pos = end
            return value

    def _grow(self, start: int) -> None:
        if len(self.buf) - start > self._max:
            self._too_large(start)
        self._fill()

    def _too_large(self, start: int) -> None:
        line, column = self.location(start)
        raise RecordTooLarge(
            f"a single value exceeds {self._max} characters",
            file=self.file,
            line=line,
            column=column,
        )

    def expect(self, char: str, what: str) -> None:
        """Consume ``char`` (after whitespace) or raise MalformedJSON naming ``what``."""
        got = self.peek()
        if got != char:
            reason = "unexpected end of data" if got == "" else f"expecting {what}"
            raise self.malformed(reason, self.pos)
        self.pos += 1


def iter_json(
    cursor: JsonCursor, descend: Callable[[JsonPath], bool], *, allow_empty: bool = False
) -> Iterator[JsonItem]:
    """Walk a JSON document, descending into containers where ``descend(path)`` is true.

    Every value not descended into is yielded whole, in document order. After the top-level value
    only whitespace may follow.

    Raises:
        EmptyExport: the document is empty (only whitespace), unless ``allow_empty``.
        MalformedJSON: a syntax error, with line and column.
        RecordTooLarge: one yielded value exceeds the cursor's cap.
    """
    if cursor.peek() == "":
        if allow_empty:
            return
        raise EmptyExport("the file is empty", file=cursor.file)
    yield from _walk(cursor, (), descend)
    if cursor.peek() != "":
        raise cursor.malformed("extra data after the JSON value", cursor.pos)


def _walk(
    cur: JsonCursor, path: JsonPath, descend: Callable[[JsonPath], bool]
) -> Iterator[JsonItem]:
    c = cur.peek()
    if c == "[" and descend(path):
        cur.pos += 1
        if cur.peek() == "]":
            cur.pos += 1
            return
        i = 0
        while True:
            yield from _walk(cur, (*path, i), descend)
            i += 1
            c = cur.peek()
            if c == ",":
                cur.pos += 1
            elif c == "]":
                cur.pos += 1
                return
            else:
                reason = "unexpected end of data" if c == "" else "expecting ',' or ']'"
                raise cur.malformed(reason, cur.pos)
    elif c == "{" and descend(path):
        cur.pos += 1
        if cur.peek() == "}":
            cur.pos += 1
            return
        while True:
            if cur.peek() != '"':
                raise cur.malformed("expecting property name enclosed in double quotes", cur.pos)
            key = cur.decode()
            cur.expect(":", "':' delimiter")
            yield from _walk(cur, (*path, key), descend)
            c = cur.peek()
            if c == ",":
                cur.pos += 1
            elif c == "}":
                cur.pos += 1
                return
            else:
                reason = "unexpected end of data" if c == "" else "expecting ',' or '}'"
                raise cur.malformed(reason, cur.pos)
    else:
        if c == "":
            raise cur.malformed("unexpected end of data", cur.pos)
        line, column = cur.mark_here()
        yield JsonItem(path, cur.decode(), line, column)


def json_path(path: JsonPath) -> str:
    """``('chats', 'list', 3)`` -> ``$.chats.list[3]``."""
    out = "$"
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def clean_text(text: str) -> str:
    """Replace lone surrogates (JSON ``\\ud800`` escapes) with U+FFFD.

    They cannot be encoded as UTF-8, so the canonical form could not hold them; real ChatGPT
    exports contain them where a title or message was cut inside an emoji.
    """
    if text.isascii():
        return text
    return _SURROGATE.sub("\ufffd", text)


def nfc(text: str) -> str:
    """NFC form, skipping the work when the text already is."""
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)


def show_value(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for messages about hostile values.

    An integer is described by its size when large: ``repr`` of one over 4,300 digits raises,
    and a message is no place for thousands of digits anyway.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"<an integer of {value.bit_length()} bits>"
    if isinstance(value, str) and len(value) > limit:
        value = value[:limit]  # cut before repr: repr of a huge string costs its whole size
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def unix_time(
    value: object,
    *,
    file: str,
    path: str | None = None,
    line: int | None = None,
    row: int | None = None,
) -> datetime:
    """Seconds since the epoch (int, float or numeric string) as an aware UTC datetime."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int beyond any float
        seconds = math.nan
    if isinstance(value, bool) or not (0 <= seconds <= _MAX_UNIX):
        raise InvalidTimestamp(
            f"invalid unix time {show_value(value)}", file=file, path=path, line=line, row=row
        )
    return datetime.fromtimestamp(seconds, UTC)


def iso_time(
    value: str,
    *,
    file: str,
    path: str | None = None,
    line: int | None = None,
    row: int | None = None,
) -> datetime:
    """An ISO 8601 timestamp; one without an offset is taken as UTC."""
    shown = show_value(value)
    try:
        ts = datetime.fromisoformat(value.strip().replace(" UTC", "+00:00"))
    except (ValueError, AttributeError):
        raise InvalidTimestamp(
            f"invalid timestamp {shown}", file=file, path=path, line=line, row=row
        ) from None
    if ts.utcoffset() is None:
        ts = ts.replace(tzinfo=UTC)
    if ts.year < 1970:
        raise InvalidTimestamp(
            f"timestamp {shown} before 1970", file=file, path=path, line=line, row=row
        )
    try:
        return ts.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:00-05:00 is past the last representable UTC time
        raise InvalidTimestamp(
            f"timestamp {shown} after 9999", file=file, path=path, line=line, row=row
        ) from None


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One CSV record: ``row`` counts records (the header is row 1), ``line`` physical lines."""

    row: int
    line: int
    values: dict[str, str]


def iter_csv(
    reader: Readable, *, file: str, max_chars: int, required: tuple[str, ...]
) -> Iterator[CsvRow]:
    """Stream a UTF-8 CSV with a header row, checking required columns first.

    An empty file, or one with only a header, yields nothing. ``csv.field_size_limit`` is a
    process-wide setting; it is only ever *raised* here, to ``max_chars``, and each row's total
    length is checked against ``max_chars`` too, so our cap decides what a too-large record is.

    Raises:
        MissingColumn: a required column is absent from the header.
        MalformedCSV: bad quoting, or a row with a different number of fields than the header.
        RecordTooLarge: a field or row longer than ``max_chars``.
        InvalidEncoding: bytes that are not UTF-8.
    """
    if csv.field_size_limit() < max_chars:
        csv.field_size_limit(max_chars)
    lines = (
        line for _, line in iter_lines(iter_text(reader, file=file), file=file, max_chars=max_chars)
    )
    rows = csv.reader(lines, strict=True)
    row_no = 0
    try:
        header = next(rows, None)
        if header is None:
            return
        row_no = 1
        header = [h.strip() for h in header]
        for column in required:
            if column not in header:
                raise MissingColumn(column, file=file, row=1)
        width = len(header)
        for values in rows:
            row_no += 1
            if not values:
                continue  # a blank line
            if len(values) != width:
                raise MalformedCSV(
                    f"{len(values)} fields where the header has {width}",
                    file=file,
                    row=row_no,
                    line=rows.line_num,
                )
            if sum(map(len, values)) > max_chars:
                raise RecordTooLarge(
                    f"row exceeds {max_chars} characters", file=file, row=row_no, line=rows.line_num
                )
            yield CsvRow(row_no, rows.line_num, dict(zip(header, values, strict=True)))
    except csv.Error as err:
        if "field larger than field limit" in str(err):
            raise RecordTooLarge(
                f"a field exceeds {max_chars} characters", file=file, row=row_no + 1
            ) from None
        raise MalformedCSV(str(err), file=file, row=row_no + 1, line=rows.line_num) from None
