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
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from node.parsers._stream import clean_text, nfc
from node.parsers.base import ParsedExport, Record
from node.parsers.errors import InvalidStructure
from node.types import ContentCommitment

__all__ = ["FORMAT", "CanonicalExport", "canonicalize", "format_timestamp", "load_canonical"]

FORMAT = "datadao.export/1"
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
    """

    data: bytes
    commitment: ContentCommitment
    records: int

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


def canonicalize(export: ParsedExport) -> CanonicalExport:
    """Canonical bytes and commitment of ``export``.

    Memory: the sort keys reference the records' strings (NFC normalisation returns the same
    object when a string already is NFC), so the only new copy is the output bytes.
    """
    keys = sorted(_key(r) for r in export.records)
    header = json.dumps(
        {
            "account": None if export.account is None else _norm(export.account),
            "format": FORMAT,
            "platform": _norm(export.platform),
            "records": len(keys),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    out = io.BytesIO()
    digest = hashlib.sha256()

    def emit(text: str) -> None:
        data = text.encode("utf-8")
        digest.update(data)
        out.write(data)

    emit(header + "\n")
    batch: list[str] = []
    for ts, rid, kind, text, has_author, author, has_thread, thread in keys:
        batch.append(
            f'{{"author":{_enc(author) if has_author else "null"},"id":{_enc(rid)},'
            f'"kind":{_enc(kind)},"text":{_enc(text)},'
            f'"thread":{_enc(thread) if has_thread else "null"},'
            f'"ts":{_enc(ts) if ts else "null"}}}\n'
        )
        if len(batch) >= 4096:
            emit("".join(batch))
            batch.clear()
    emit("".join(batch))
    return CanonicalExport(
        data=out.getvalue(),
        commitment=ContentCommitment(digest.digest()),
        records=len(keys),
    )


def load_canonical(data: bytes, *, file: str = "<canonical>") -> ParsedExport:
    """Read canonical JSONL back into a :class:`ParsedExport` (for validators and tests).

    Raises:
        InvalidStructure: the bytes are not canonical JSONL version 1.
    """
    lines = data.split(b"\n")
    if len(lines) < 2 or lines[-1] != b"":
        raise InvalidStructure("canonical data must be newline-terminated lines", file=file)
    try:
        header = json.loads(lines[0])
        rows = [json.loads(line) for line in lines[1:-1]]
    except ValueError as err:
        raise InvalidStructure(f"not canonical JSONL ({err})", file=file) from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise InvalidStructure(f"unknown canonical format (expected {FORMAT})", file=file, line=1)
    if header.get("records") != len(rows):
        raise InvalidStructure("record count does not match the header", file=file, line=1)
    records = []
    for n, row in enumerate(rows, start=2):
        if not isinstance(row, dict) or tuple(sorted(row)) != _RECORD_KEYS:
            raise InvalidStructure("record has the wrong keys", file=file, line=n)
        ts = row["ts"]
        records.append(
            Record(
                id=row["id"],
                timestamp=None if ts is None else datetime.fromisoformat(ts),
                kind=row["kind"],
                text=row["text"],
                author=row["author"],
                thread=row["thread"],
            )
        )
    return ParsedExport(
        platform=header["platform"],
        account=header["account"],
        records=tuple(records),
        source=file,
    )
