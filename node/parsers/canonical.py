"""Canonical JSONL form of an export and its content commitment.

The commitment registered on chain (``contentCommitment``) is ``sha256`` of these bytes, so two
nodes that parse the same export must produce the same bytes, and the same content must commit
the same regardless of how the platform happened to order it. The form (version 1):

* UTF-8, one JSON object per line, each line ending in ``\\n``, no BOM;
* objects with keys sorted, compact separators (``,`` and ``:``), non-ASCII written as is
  (``ensure_ascii=False``), i.e. exactly ``json.dumps(obj, sort_keys=True,
  separators=(",", ":"), ensure_ascii=False)``;
* every string in NFC, lone surrogates replaced by U+FFFD;
* line 1 is the header ``{"account":…,"format":"datadao.export/1","platform":…,"records":N}``;
* then one line per record ``{"author":…,"id":…,"kind":…,"text":…,"thread":…,"ts":…}`` where
  absent values are ``null`` and ``ts`` is UTC with microseconds,
  ``YYYY-MM-DDTHH:MM:SS.ffffffZ``;
* records ordered by ``(ts, id)`` with records without a time first, then by kind, text,
  author, thread; so the order is total and does not depend on input order. Exact duplicate
  records are kept (their order cannot matter, their bytes are equal).

Scrub first, then canonicalize: the commitment is over what is shared.

Ownership proofs (``node/proofs``, DESIGN.md §10) ride in the header, so they are sealed with
the export and only those who decrypt it see them. When an export carries proofs, and only then,
the header gains two keys, still sorted: ``"email"`` (the account e-mail the export states, or
``null``; proofs are checked against it, and a proof discloses it anyway) and ``"proofs"``, one
string of space-separated ``<method>:<standard base64, padded>`` entries sorted by ``(method,
bytes)`` without duplicates, 1 to ``MAX_PROOFS`` entries of at most ``MAX_PROOF_BYTES`` bytes
each. A string, not a list of objects: every line of the format stays a flat object, which
validators check before any JSON decoder runs (deep nesting is an attack). The format string is
unchanged: a proof-less export's bytes, and so its commitment, are exactly what they were before
proofs existed. The *export commitment* a proof names is ``sha256`` of the bytes without proofs
(the header rewritten without ``email`` and ``proofs``), which is the ``contentCommitment`` the
same export would have unproven; :func:`export_commitment` recomputes it from the sealed bytes.
Nothing but the header holds proof bytes, so valuation (which reads records) never sees them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from node import safejson
from node.parsers._stream import clean_text, nfc
from node.parsers.base import (
    MAX_PROOF_BYTES,
    MAX_PROOFS,
    AttachedProof,
    Limits,
    ParsedExport,
    Record,
    RecordsCallback,
    report_records,
)
from node.parsers.errors import (
    InvalidEncoding,
    InvalidStructure,
    InvalidTimestamp,
    MalformedJSON,
    NotCanonical,
    RecordTooLarge,
    TooManyRecords,
)
from node.safejson import too_deep
from node.types import ContentCommitment

__all__ = [
    "FORMAT",
    "CanonicalExport",
    "canonicalize",
    "export_commitment",
    "format_timestamp",
    "load_canonical",
]

FORMAT = "datadao.export/1"
_BATCH = 4096  # record lines joined per write
_RECORD_KEYS = ("author", "id", "kind", "text", "thread", "ts")
# The C string encoder json.dumps uses with ensure_ascii=False: same bytes, ~5x faster than
# calling json.dumps per record. A property test checks the two agree.
_enc = json.encoder.encode_basestring


@dataclass(frozen=True, slots=True)
class CanonicalExport:
    """The canonical bytes of an export and their sha256 commitment.

    Attributes:
        data: canonical JSONL (see the module docstring).
        commitment: ``sha256(data)``, the on-chain ``contentCommitment``.
        records: number of record lines (the header excluded).
        export_commitment: ``sha256`` of the bytes without proofs (equal to ``commitment``
            when there are none): what an ownership proof names.
    """

    data: bytes
    commitment: ContentCommitment
    records: int
    export_commitment: ContentCommitment | None = None

    @property
    def proofless_commitment(self) -> ContentCommitment:
        """The export commitment (``commitment`` itself for a proof-less export)."""
        return self.commitment if self.export_commitment is None else self.export_commitment

    @property
    def commitment_hex(self) -> str:
        """``0x``-prefixed hex of the commitment, as block explorers show bytes32."""
        return "0x" + self.commitment.hex()


def format_timestamp(ts: datetime) -> str:
    """UTC, microseconds, ``Z``: fixed width, so string order is time order."""
    u = ts.astimezone(UTC)
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:"
        f"{u.second:02d}.{u.microsecond:06d}Z"
    )


def _norm(s: str) -> str:
    return nfc(clean_text(s))


_Key = tuple[str, str, str, str, bool, str, bool, str]


def _key(r: Record) -> _Key:
    return (
        "" if r.timestamp is None else format_timestamp(r.timestamp),
        _norm(r.id),
        _norm(r.kind),
        _norm(r.text),
        r.author is not None,
        "" if r.author is None else _norm(r.author),
        r.thread is not None,
        "" if r.thread is None else _norm(r.thread),
    )


def _header_line(
    account: str | None,
    platform: str,
    records: int,
    email: str | None = None,
    proofs: tuple[AttachedProof, ...] = (),
) -> str:
    head: dict[str, Any] = {
        "account": account,
        "format": FORMAT,
        "platform": platform,
        "records": records,
    }
    if proofs:
        head["email"] = email
        head["proofs"] = " ".join(
            f"{p.method}:{base64.b64encode(p.data).decode('ascii')}" for p in proofs
        )
    return json.dumps(head, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _proofs(export: ParsedExport) -> tuple[AttachedProof, ...]:
    proofs = tuple(sorted(set(export.proofs)))
    if len(proofs) > MAX_PROOFS:
        raise InvalidStructure(f"more than {MAX_PROOFS} proofs", file=export.source or "<export>")
    return proofs


def _record_line(key: _Key) -> str:
    """One record line (without its newline) from its sort key, which holds normalised values."""
    ts, rid, kind, text, has_author, author, has_thread, thread = key
    return (
        f'{{"author":{_enc(author) if has_author else "null"},"id":{_enc(rid)},'
        f'"kind":{_enc(kind)},"text":{_enc(text)},'
        f'"thread":{_enc(thread) if has_thread else "null"},'
        f'"ts":{_enc(ts) if ts else "null"}}}'
    )


def canonicalize(
    export: ParsedExport, *, on_records: RecordsCallback | None = None
) -> CanonicalExport:
    """Canonical bytes and commitment of ``export``.

    Memory: the sort keys reference the records' strings (NFC normalisation returns the same
    object when a string already is NFC), so the only new copy is the output bytes.

    Args:
        export: the (scrubbed) export.
        on_records: called with the number of records written so far, every
            ``PROGRESS_EVERY`` records and once with the total, so a progress bar can move while
            a large export is written (the sort before it is one C call and reports nothing).
    """
    proofs = _proofs(export)
    keys = sorted(_key(r) for r in export.records)
    account = None if export.account is None else _norm(export.account)
    email = None if export.email is None else _norm(export.email)
    header = _header_line(account, _norm(export.platform), len(keys), email, proofs)
    out = io.BytesIO()
    digest = hashlib.sha256()
    plain = hashlib.sha256(
        (_header_line(account, _norm(export.platform), len(keys)) + "\n").encode("utf-8")
    )

    def emit(text: str) -> None:
        data = text.encode("utf-8")
        digest.update(data)
        plain.update(data)
        out.write(data)

    out.write((header + "\n").encode("utf-8"))
    digest.update(out.getvalue())
    batch: list[str] = []
    for written, key in enumerate(keys, start=1):
        batch.append(_record_line(key) + "\n")
        if len(batch) >= _BATCH:
            emit("".join(batch))
            batch.clear()
        report_records(on_records, written)
    emit("".join(batch))
    report_records(on_records, len(keys), final=True)
    return CanonicalExport(
        data=out.getvalue(),
        commitment=ContentCommitment(digest.digest()),
        records=len(keys),
        export_commitment=ContentCommitment(plain.digest()) if proofs else None,
    )


# --- reading canonical bytes back -----------------------------------------------------------

_LINE_FACTOR = 12
"""A record line's bytes per character of the source value it came from, at most.

Every string of a record comes from one source value of at most ``Limits.max_record_bytes``
characters; the id and the thread may both repeat the conversation id (so up to twice the
characters), and each character takes at most 6 bytes written canonically (a ``\\u00XX``
escape). So no line :func:`canonicalize` writes from a parsed export is longer than
``12 * max_record_bytes`` plus the fixed keys, and the cap refuses only what no parser produced.
"""
_MAX_INT_DIGITS = 20
"""The only number in the format is the header's record count; nothing real needs more digits,
and refusing longer ones up front avoids Python's quadratic int parsing (and its 4,300-digit
ValueError)."""
_TS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
_HEADER_KEYS = ("account", "format", "platform", "records")
_PROOF_HEADER_KEYS = (*_HEADER_KEYS, "email", "proofs")
_MAX_HEADER = MAX_PROOFS * (4 * MAX_PROOF_BYTES // 3 + 128) + 65536
"""The header line's bytes, at most: the proofs at their caps plus room for the fixed keys."""


class _Refused(ValueError):
    """Raised from inside the JSON decoder's hooks; turned into MalformedJSON with the line."""


def _parse_int(digits: str) -> int:
    if len(digits) > _MAX_INT_DIGITS:
        raise _Refused(f"a number with {len(digits)} digits")
    return int(digits)


def _parse_constant(name: str) -> Any:
    raise _Refused(f"{name} is not JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise _Refused(f"duplicate key {dup!r}")
    return obj


_DECODER = json.JSONDecoder(
    parse_int=_parse_int, parse_constant=_parse_constant, object_pairs_hook=_no_duplicates
)


def _lines(data: bytes) -> Iterator[tuple[int, int, bytes]]:
    """``(line number, byte offset, line without its newline)``; ``data`` ends with a newline."""
    start = 0
    lineno = 0
    while start < len(data):
        end = data.index(b"\n", start)
        lineno += 1
        yield lineno, start, data[start:end]
        start = end + 1


def _object(raw: bytes, *, file: str, line: int, offset: int, max_line: int) -> tuple[str, Any]:
    """Decode one line into its text and a JSON object, or raise a typed error for that line."""
    if len(raw) > max_line:
        raise RecordTooLarge(f"line longer than {max_line} bytes", file=file, line=line)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise InvalidEncoding(
            "not valid UTF-8", file=file, line=line, offset=offset + err.start
        ) from None
    if too_deep(text):  # before decoding: deep nesting would overflow the C stack (safejson)
        raise MalformedJSON("nesting too deep", file=file, line=line)
    try:
        obj = _DECODER.decode(text)
    except json.JSONDecodeError as err:
        raise MalformedJSON(err.msg, file=file, line=line, column=err.colno) from None
    except _Refused as err:
        raise MalformedJSON(f"{err} is not allowed here", file=file, line=line) from None
    except RecursionError:
        raise MalformedJSON("nesting too deep", file=file, line=line) from None
    if not isinstance(obj, dict):
        raise InvalidStructure(
            f"expected a JSON object, found {type(obj).__name__}", file=file, line=line
        )
    return text, obj


def _check_keys(obj: dict[str, Any], expected: tuple[str, ...], *, file: str, line: int) -> None:
    keys = set(obj)
    if keys != set(expected):
        missing = sorted(set(expected) - keys)
        extra = sorted(keys - set(expected))
        parts = [f"missing {', '.join(missing)}"] if missing else []
        parts += [f"unexpected {', '.join(repr(k)[:40] for k in extra[:5])}"] if extra else []
        raise InvalidStructure(f"wrong keys ({'; '.join(parts)})", file=file, line=line)


def _opt(obj: dict[str, Any], name: str, *, file: str, line: int) -> str | None:
    """``obj[name]`` when it is a string or null; anything else is refused with the line."""
    value = obj[name]
    if value is None or isinstance(value, str):
        return value
    raise InvalidStructure(
        f"{name!r} must be a string or null, not {type(value).__name__}",
        file=file,
        line=line,
        path=f"$.{name}",
    )


def _str(obj: dict[str, Any], name: str, *, file: str, line: int) -> str:
    """``obj[name]`` when it is a string; anything else (null included) is refused."""
    value = _opt(obj, name, file=file, line=line)
    if value is None:
        raise InvalidStructure(f"{name!r} must be a string, not null", file=file, line=line)
    return value


def _timestamp(value: str | None, *, file: str, line: int) -> datetime | None:
    if value is None:
        return None
    if not _TS.fullmatch(value):
        raise InvalidTimestamp(
            f"'ts' {value[:40]!r} is not YYYY-MM-DDTHH:MM:SS.ffffffZ",
            file=file,
            line=line,
            path="$.ts",
        )
    try:
        return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)
    except ValueError:
        raise InvalidTimestamp(
            f"'ts' {value!r} is not a real time", file=file, line=line, path="$.ts"
        ) from None


def load_canonical(
    data: bytes, *, file: str = "<canonical>", limits: Limits | None = None
) -> ParsedExport:
    """Read canonical JSONL back into a :class:`ParsedExport` (for validators and tests).

    The bytes come from a contributor, so they are hostile: only the exact bytes
    :func:`canonicalize` writes are accepted (``canonicalize(load_canonical(b)).data == b`` for
    every ``b`` that loads), every field is type-checked, and every refusal is a typed
    :class:`~node.errors.ParseError` naming the line. Lines are capped (see ``_LINE_FACTOR``),
    as are the record count (``limits.max_records``) and the digits of a number; the format has
    no nesting, so a nested value is refused (a deeply nested one as "nesting too deep").

    Raises:
        InvalidEncoding: a line is not UTF-8 (``offset`` is the byte).
        MalformedJSON: a line is not JSON, or holds NaN/Infinity, a duplicate key or a number
            of more than 20 digits.
        InvalidStructure: wrong keys or field types, a record count that differs from the
            lines, or bytes that are not in canonical form (spacing, key order, Unicode form,
            record order).
        InvalidTimestamp: a ``ts`` that is not a real UTC time in the canonical layout.
        RecordTooLarge, TooManyRecords: over the caps.
    """
    limits = limits or Limits()
    data = bytes(data)
    max_line = _LINE_FACTOR * limits.max_record_bytes + 4096
    if not data.endswith(b"\n"):
        raise InvalidStructure(
            "canonical data must be newline-terminated lines",
            file=file,
            line=data.count(b"\n") + 1,
        )
    count = data.count(b"\n") - 1
    if count > limits.max_records:
        raise TooManyRecords(f"more than {limits.max_records} records", file=file)
    lines = _lines(data)
    _, offset, raw = next(lines)
    text, head = _object(raw, file=file, line=1, offset=offset, max_line=_MAX_HEADER)
    if head.get("format") != FORMAT:
        raise InvalidStructure(f"unknown canonical format (expected {FORMAT})", file=file, line=1)
    _check_keys(head, _PROOF_HEADER_KEYS if "proofs" in head else _HEADER_KEYS, file=file, line=1)
    proofs = _load_proofs(head["proofs"], file=file) if "proofs" in head else ()
    email = _opt(head, "email", file=file, line=1) if proofs else None
    account = _opt(head, "account", file=file, line=1)
    platform = _str(head, "platform", file=file, line=1)
    declared = head["records"]
    if isinstance(declared, bool) or not isinstance(declared, int):
        raise InvalidStructure("'records' must be an integer", file=file, line=1, path="$.records")
    if declared != count:
        raise InvalidStructure(
            f"the header declares {declared} records but {count} lines follow", file=file, line=1
        )
    canonical_header = _header_line(
        None if account is None else _norm(account),
        _norm(platform),
        declared,
        None if email is None else _norm(email),
        tuple(sorted(set(proofs))),
    )
    if text != canonical_header:
        raise NotCanonical("header is not in canonical form", file=file, line=1)

    records: list[Record] = []
    previous: _Key | None = None
    for n, offset, raw in lines:
        text, row = _object(raw, file=file, line=n, offset=offset, max_line=max_line)
        _check_keys(row, _RECORD_KEYS, file=file, line=n)
        rid, kind, body = (_str(row, k, file=file, line=n) for k in ("id", "kind", "text"))
        author, thread, ts = (_opt(row, k, file=file, line=n) for k in ("author", "thread", "ts"))
        record = Record(
            id=rid,
            timestamp=_timestamp(ts, file=file, line=n),
            kind=kind,
            text=body,
            author=author,
            thread=thread,
        )
        key = _key(record)
        if text != _record_line(key):
            raise NotCanonical(
                "record is not in canonical form (spacing, key order, escapes, Unicode NFC "
                "or time layout)",
                file=file,
                line=n,
            )
        if previous is not None and key < previous:
            raise NotCanonical("records are not in canonical order", file=file, line=n)
        previous = key
        records.append(record)
    return ParsedExport(
        platform=platform,
        account=account,
        records=tuple(records),
        source=file,
        email=email,
        proofs=proofs,
    )


def _load_proofs(value: object, *, file: str) -> tuple[AttachedProof, ...]:
    """The header's ``proofs`` list, type-checked and decoded (order is checked by the caller,
    which compares the whole header with what :func:`canonicalize` writes)."""

    def bad(reason: str) -> InvalidStructure:
        return InvalidStructure(reason, file=file, line=1, path="$.proofs")

    if not isinstance(value, str):
        raise bad("'proofs' must be a string of METHOD:BASE64 entries")
    entries = value.split(" ")
    if not 1 <= len(entries) <= MAX_PROOFS:
        raise bad(f"'proofs' must hold 1 to {MAX_PROOFS} proofs")
    out = []
    for entry in entries:
        method, sep, data = entry.partition(":")
        if not sep:
            raise bad("a proof must be METHOD:BASE64")
        if len(data) > 4 * MAX_PROOF_BYTES // 3 + 4:
            raise bad(f"a proof is larger than {MAX_PROOF_BYTES} bytes")
        try:
            out.append(AttachedProof(method, base64.b64decode(data, validate=True)))
        except (binascii.Error, ValueError) as err:
            raise bad(f"a proof is not valid ({str(err)[:80]})") from None
    return tuple(out)


def export_commitment(data: bytes) -> ContentCommitment:
    """``sha256`` of canonical ``data`` without its proofs (see the module docstring).

    ``data`` must be bytes :func:`load_canonical` accepted; this only rewrites the header.
    """
    view = memoryview(data)
    end = bytes(view[:_MAX_HEADER]).find(b"\n")
    if end < 0:
        raise InvalidStructure("no header line", file="<canonical>", line=1)
    head = safejson.loads(bytes(view[:end]).decode("utf-8"))
    if "proofs" not in head:
        return ContentCommitment(hashlib.sha256(view).digest())
    plain = _header_line(head["account"], head["platform"], head["records"]) + "\n"
    digest = hashlib.sha256(plain.encode("utf-8"))
    digest.update(view[end + 1 :])
    return ContentCommitment(digest.digest())
