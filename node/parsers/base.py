"""The shapes every importer shares: caps, records, a parsed export and the parser Protocol.

A parser turns one platform's export into a :class:`ParsedExport`: the platform name, the account
handle when the export states it, and a tuple of :class:`Record` (stable id, timestamp, kind,
text). Records are plain frozen dataclasses with ``slots`` rather than pydantic models because an
export can hold millions of them and each is validated by the parser that builds it; pydantic's
per-instance validation would double the parse time for no added safety.

Third parties add platforms by implementing :class:`ExportParser` and registering a zero-argument
factory in the ``datadao.parsers`` entry-point group (see ``registry.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from node.parsers.archive import ExportSource

__all__ = [
    "MAX_PROOFS",
    "MAX_PROOF_BYTES",
    "PROGRESS_EVERY",
    "AttachedProof",
    "ExportParser",
    "Limits",
    "ParsedExport",
    "Record",
    "RecordsCallback",
    "report_records",
]

RecordsCallback = Callable[[int], None]
"""Progress: called with the number of records done so far (parsed, scrubbed or written)."""
PROGRESS_EVERY = 4096
"""Records between two progress calls: often enough for a bar to move smoothly on a 200 MB
export (hundreds of thousands of records), rarely enough to cost nothing measurable."""

_MIB = 1 << 20


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps applied while reading an export. Every one is enforced before the data is trusted.

    The defaults admit the largest real exports we have seen (a heavy ChatGPT user's
    ``conversations.json`` is a few hundred MB; single conversations reach a few MB) while
    refusing zip bombs: real text compresses 3-15x, a bomb thousands of times.

    Attributes:
        max_members: members (files) in an archive or folder.
        max_total_bytes: sum of uncompressed member sizes, as declared and as actually read.
        max_member_bytes: uncompressed size of one member.
        max_ratio: uncompressed/compressed size of one member (checked above ``ratio_floor``).
        ratio_floor: members smaller than this are exempt from the ratio check; a tiny file of
            repeated characters compresses very well and is harmless.
        max_record_bytes: one JSON value (a conversation, a tweet, a message), JSONL line or CSV
            row, in characters.
        max_records: records in one export.
    """

    max_members: int = 100_000
    max_total_bytes: int = 4096 * _MIB
    max_member_bytes: int = 2048 * _MIB
    max_ratio: float = 100.0
    ratio_floor: int = 1 * _MIB
    max_record_bytes: int = 32 * _MIB
    max_records: int = 20_000_000

    def __post_init__(self) -> None:
        for name in (
            "max_members",
            "max_total_bytes",
            "max_member_bytes",
            "ratio_floor",
            "max_record_bytes",
            "max_records",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"Limits.{name} must be positive")
        if self.max_ratio < 1:
            raise ValueError("Limits.max_ratio must be at least 1")


@dataclass(frozen=True, slots=True)
class Record:
    """One unit of contributed text.

    Attributes:
        id: stable across re-exports of the same account (a platform id, prefixed where the
            platform's ids are only unique within a conversation or chat).
        timestamp: when it was written, timezone-aware; None when the export does not say.
        kind: what it is on the platform (``message``, ``comment``, ``post``, ``tweet``, …).
        text: the text, as exported (before scrubbing, unless the export was scrubbed).
        author: who wrote it, coarsely: a ChatGPT role (``user``/``assistant``/…), or
            ``self``/``other`` on Telegram. Never another person's name or id.
        thread: the conversation, chat, subreddit or replied-to tweet it belongs to.
    """

    id: str
    timestamp: datetime | None
    kind: str
    text: str
    author: str | None = None
    thread: str | None = None

    def __post_init__(self) -> None:
        if self.timestamp is not None and self.timestamp.utcoffset() is None:
            raise ValueError(f"record {self.id!r}: timestamp must be timezone-aware")


MAX_PROOF_BYTES = 256 * 1024
"""One ownership proof's bytes, at most. A platform's "your export is ready" e-mail is a few
tens of KiB of HTML; a Reclaim proof a few KiB. The cap bounds what a hostile header can make a
validator decode and verify."""
MAX_PROOFS = 4
"""Proofs carried by one export, at most (one per method is the normal case)."""
_METHOD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


@dataclass(frozen=True, slots=True, order=True)
class AttachedProof:
    """Proof bytes a contributor attaches to an export, sealed with it (``node/proofs``).

    The parsers only carry them (canonical.py writes them into the header line); what they
    mean is decided by the verifier registered for ``method`` in the ``datadao.proofs`` group.

    Attributes:
        method: the verifier's name (``dkim``, ``reclaim``, …): 1-32 of ``[a-z0-9-]``.
        data: the proof as the contributor supplied it, at most :data:`MAX_PROOF_BYTES`.
    """

    method: str
    data: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not 1 <= len(self.method) <= 32 or not set(self.method) <= _METHOD:
            raise ValueError(f"proof method {self.method[:40]!r} is not 1-32 of [a-z0-9-]")
        if not 1 <= len(self.data) <= MAX_PROOF_BYTES:
            raise ValueError(f"a proof must hold 1 to {MAX_PROOF_BYTES} bytes")


def _frozen_counts() -> Mapping[str, int]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class ParsedExport:
    """The result of parsing (and optionally scrubbing) one export. Never partial.

    Attributes:
        platform: the registry name of the parser that produced it.
        account: the account handle the export states, or None.
        records: in the order the export lists them (canonical order is defined in
            ``canonical.py``; parsing keeps the source order so errors can be traced back).
        source: the path the export was read from, for messages.
        scrubbed: whether ``scrub.scrub_export`` has been applied.
        pii_removed: replacements made by scrubbing, per kind (``email``, ``phone``, …).
        email: the account's e-mail address as the export states it (ChatGPT ``user.json``, X
            ``account.js``, Reddit ``statistics.csv``), or None. Ownership proofs are checked
            against it; it reaches the canonical form only together with proofs.
        proofs: ownership proofs attached by the contributor (at most :data:`MAX_PROOFS`).
    """

    platform: str
    account: str | None
    records: tuple[Record, ...]
    source: str = ""
    scrubbed: bool = False
    pii_removed: Mapping[str, int] = field(default_factory=_frozen_counts)
    email: str | None = None
    proofs: tuple[AttachedProof, ...] = ()

    def by_kind(self) -> dict[str, int]:
        """Record counts per kind, sorted by kind."""
        counts: dict[str, int] = {}
        for record in self.records:
            counts[record.kind] = counts.get(record.kind, 0) + 1
        return dict(sorted(counts.items()))

    def time_span(self) -> tuple[datetime, datetime] | None:
        """Earliest and latest timestamp, or None when no record has one."""
        stamps = [r.timestamp for r in self.records if r.timestamp is not None]
        if not stamps:
            return None
        return min(stamps), max(stamps)


def report_records(on_records: RecordsCallback | None, count: int, *, final: bool = False) -> None:
    """Call ``on_records(count)`` every :data:`PROGRESS_EVERY` records, and always when ``final``
    (so the last call is the total). One ``None`` check per record when nobody listens."""
    if on_records is not None and (final or count % PROGRESS_EVERY == 0):
        on_records(count)


@runtime_checkable
class ExportParser(Protocol):
    """What a platform importer provides.

    ``sniff`` must be cheap (member names and the bounded, cached member heads of
    :meth:`ExportSource.head <node.parsers.archive.ExportSource.head>`) and never raise for a
    foreign export: auto-detection calls it for every registered parser. It should recognise the
    platform by content, the file name being a hint only (users and browsers rename files).
    ``parse`` reads the whole export, enforcing ``limits``, and either returns a complete
    :class:`ParsedExport` or raises an :class:`~node.parsers.errors.ExportError`.

    A parser may set a class attribute ``fallback = True`` (``generic`` does): detection then
    asks it only when no other parser recognised the export. A parser whose ``parse`` also takes
    a keyword ``on_records`` (a :data:`RecordsCallback`; every built-in does) gets the progress
    callback of :func:`~node.parsers.registry.parse_export` and reports through
    :func:`report_records`.
    """

    @property
    def name(self) -> str:
        """The registry name, which is also ``ParsedExport.platform``."""
        ...

    def sniff(self, source: ExportSource) -> bool:
        """Whether this export looks like this parser's platform."""
        ...

    def parse(self, source: ExportSource, limits: Limits) -> ParsedExport:
        """Parse everything or raise; never a partial result."""
        ...
