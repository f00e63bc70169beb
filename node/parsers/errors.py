"""Typed errors for reading platform exports.

Every failure while opening or parsing an export is one of these classes, all derived from
:class:`node.errors.ParseError`, so the CLI boundary turns them into a one-line message and exit
code 1. Each carries *where* it happened as fields (``file``, ``line``, ``column``, ``row``,
``offset``, ``path``) rather than only in the message, so callers (the API, tests) can point at
the spot without parsing strings. Parsers never return a partial result: they raise one of these.
"""

from __future__ import annotations

from node.errors import ParseError

__all__ = [
    "AmbiguousPlatform",
    "ArchiveError",
    "ArchiveTooLarge",
    "CompressionRatioTooHigh",
    "CorruptArchive",
    "DuplicateMember",
    "EmptyExport",
    "EncryptedMember",
    "ExportError",
    "FormatError",
    "InvalidEncoding",
    "InvalidStructure",
    "InvalidTimestamp",
    "MalformedCSV",
    "MalformedJSON",
    "MemberTooLarge",
    "MessageTreeError",
    "MissingColumn",
    "MissingPrefix",
    "NestedArchive",
    "NotAnArchive",
    "NotCanonical",
    "PlatformError",
    "RecordTooLarge",
    "SymlinkMember",
    "TextEntityError",
    "TooManyMembers",
    "TooManyRecords",
    "UnknownParser",
    "UnknownPlatform",
    "UnsafeMemberPath",
    "WrongPlatform",
]


class ExportError(ParseError):
    """Base of every export problem; knows the file and, where it applies, the position.

    Args:
        reason: what is wrong, without the location (that is added from the fields).
        file: the export or archive member the problem is in, as the user would recognise it
            (``export.zip:conversations.json``).
        line, column: 1-based text position (JSON, JSONL, tweets.js).
        row: 1-based CSV record number (the header is row 1).
        offset: 0-based byte offset (encoding errors).
        path: a JSON-path-like location inside a document (``$[3].mapping.n1``).
    """

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        row: int | None = None,
        offset: int | None = None,
        path: str | None = None,
    ) -> None:
        self.reason = reason
        self.file = file
        self.line = line
        self.column = column
        self.row = row
        self.offset = offset
        self.path = path
        super().__init__(self._render())

    @property
    def position(self) -> str | None:
        """The position as text (``line 3, column 7``), or None when the error has none."""
        parts: list[str] = []
        if self.line is not None:
            parts.append(f"line {self.line}")
            if self.column is not None:
                parts.append(f"column {self.column}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.offset is not None:
            parts.append(f"byte {self.offset}")
        if self.path is not None:
            parts.append(f"at {self.path}")
        return ", ".join(parts) or None

    def _render(self) -> str:
        where = [p for p in (self.file, self.position) if p]
        return ": ".join([*where, self.reason])


# --- archive-level problems (the container is unsafe or unreadable) -------------------------


class ArchiveError(ExportError):
    """The container (zip or folder) is unsafe or unreadable; nothing inside was trusted."""


class NotAnArchive(ArchiveError):
    """The path is neither a zip archive, a folder nor a file a parser understands."""


class CorruptArchive(ArchiveError):
    """A zip that is truncated, has a bad checksum or a broken structure."""


class UnsafeMemberPath(ArchiveError):
    """A member name is absolute or climbs out of the archive (``..``): a path-traversal attempt."""

    def __init__(self, member: str, *, file: str | None = None) -> None:
        self.member = member
        super().__init__(f"unsafe member path {member!r}", file=file)


class SymlinkMember(ArchiveError):
    """A member is a symbolic link; links could point anywhere, so they are refused outright."""

    def __init__(self, member: str, *, file: str | None = None) -> None:
        self.member = member
        super().__init__(f"member {member!r} is a symbolic link", file=file)


class NestedArchive(ArchiveError):
    """An archive inside the archive; refused because caps could not be enforced through it."""

    def __init__(self, member: str, *, file: str | None = None) -> None:
        self.member = member
        super().__init__(f"member {member!r} is itself an archive", file=file)


class EncryptedMember(ArchiveError):
    """A password-protected member: we cannot read it and will not guess."""

    def __init__(self, member: str, *, file: str | None = None) -> None:
        self.member = member
        super().__init__(f"member {member!r} is encrypted", file=file)


class DuplicateMember(ArchiveError):
    """Two members share a name, so which one a reader sees would depend on the tool."""

    def __init__(self, member: str, *, file: str | None = None) -> None:
        self.member = member
        super().__init__(f"member {member!r} appears more than once", file=file)


class TooManyMembers(ArchiveError):
    """More members than ``Limits.max_members``."""

    def __init__(self, count: int, limit: int, *, file: str | None = None) -> None:
        self.count, self.limit = count, limit
        super().__init__(f"{count} members; the limit is {limit}", file=file)


class ArchiveTooLarge(ArchiveError):
    """The total uncompressed size exceeds ``Limits.max_total_bytes``."""

    def __init__(self, size: int, limit: int, *, file: str | None = None) -> None:
        self.size, self.limit = size, limit
        super().__init__(f"uncompressed size {size} bytes; the limit is {limit}", file=file)


class MemberTooLarge(ArchiveError):
    """One member's uncompressed size exceeds ``Limits.max_member_bytes``."""

    def __init__(self, size: int, limit: int, *, file: str | None = None) -> None:
        self.size, self.limit = size, limit
        super().__init__(f"member is {size} bytes; the limit is {limit}", file=file)


class CompressionRatioTooHigh(ArchiveError):
    """A member expands far more than real text does: the signature of a zip bomb."""

    def __init__(self, ratio: float, limit: float, *, file: str | None = None) -> None:
        self.ratio, self.limit = ratio, limit
        super().__init__(f"compression ratio {ratio:.0f}:1; the limit is {limit:.0f}:1", file=file)


# --- content problems (the bytes are there but are not the documented format) -------------


class FormatError(ExportError):
    """The content does not follow the documented format."""


class InvalidEncoding(FormatError):
    """Bytes that are not valid UTF-8; ``offset`` is the first bad byte."""


class MalformedJSON(FormatError):
    """JSON syntax error; ``line`` and ``column`` are 1-based, as editors show them."""


class MalformedCSV(FormatError):
    """CSV syntax error; ``row`` is the CSV record, ``line`` the physical line."""


class MissingColumn(FormatError):
    """A CSV lacks a column the format requires."""

    def __init__(self, column: str, *, file: str | None = None, row: int | None = 1) -> None:
        self.missing = column
        super().__init__(f"required column {column!r} is missing", file=file, row=row)


class MissingPrefix(FormatError):
    """An X/Twitter ``.js`` file lacks its ``window.YTD.<name>.partN = `` assignment prefix."""


class InvalidStructure(FormatError):
    """Valid JSON/CSV whose shape is not what the format documents (a missing or mistyped field)."""


class NotCanonical(InvalidStructure):
    """Canonical JSONL that parses but is not byte-for-byte what ``canonicalize`` writes
    (spacing, key order, escapes, Unicode form, record order): its commitment would differ."""


class InvalidTimestamp(FormatError):
    """A timestamp that cannot be read or lies outside years 1970..9999."""


class TextEntityError(FormatError):
    """A Telegram ``text`` list holds something that is neither a string nor a text entity."""


class MessageTreeError(FormatError):
    """A ChatGPT conversation whose message tree has a cycle or a dangling reference."""


class RecordTooLarge(ExportError):
    """One record (JSON value, CSV row, JSONL line) exceeds ``Limits.max_record_bytes``."""


class TooManyRecords(ExportError):
    """More records than ``Limits.max_records``."""


class EmptyExport(ExportError):
    """The export is well formed but holds no records with text: nothing to contribute."""


# --- platform selection -----------------------------------------------------------------------


class PlatformError(ExportError):
    """The platform could not be determined or the export is not of the requested platform."""


class UnknownParser(PlatformError):
    """No parser is registered under the requested name."""


class UnknownPlatform(PlatformError):
    """``--platform auto`` found no parser that recognises the export."""


class AmbiguousPlatform(PlatformError):
    """``--platform auto`` found several parsers that recognise the export."""


class WrongPlatform(PlatformError):
    """The export is not of the platform that was asked for."""
