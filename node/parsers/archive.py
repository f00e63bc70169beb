"""Safe, capped access to an export: a zip archive, a folder, or a single file.

Exports come from the user's disk but their bytes are hostile by assumption (a zip found online,
a tampered archive). Everything here is checked *before* a parser sees a byte:

* member names: no absolute paths, drive letters, ``..`` components, NUL bytes or duplicates;
* no symbolic links (zip members with the Unix link mode; folder entries that are links);
* no nested archives (by name, and by magic bytes when a member is opened), because caps could
  not be enforced through them;
* no encrypted members;
* caps from :class:`~node.parsers.base.Limits`: member count, each member's and the total
  uncompressed size, and the compression ratio of each member. Declared sizes are checked up
  front and the bytes actually produced are counted while reading, so a header that lies about
  its size cannot get past either (zipfile additionally stops at the declared size and checks
  the CRC, which we turn into :class:`~node.parsers.errors.CorruptArchive`).

Nothing is ever extracted to disk: parsers stream members through :meth:`ExportSource.open`.
"""

from __future__ import annotations

import os
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol

from node.parsers.base import Limits
from node.parsers.errors import (
    ArchiveError,
    ArchiveTooLarge,
    CompressionRatioTooHigh,
    CorruptArchive,
    DuplicateMember,
    EncryptedMember,
    MemberTooLarge,
    NestedArchive,
    NotAnArchive,
    PlatformError,
    SymlinkMember,
    TooManyMembers,
    UnsafeMemberPath,
)

__all__ = ["HEAD_BYTES", "MAX_PEEKS", "ExportSource", "MemberReader", "Readable", "open_export"]

HEAD_BYTES = 64 * 1024
"""How much of a member content detection reads: enough for the first keys of any export we
know (a ChatGPT conversation's ``mapping``, Telegram's ``personal_information``, a CSV header),
never the whole of a large file."""
MAX_PEEKS = 512
"""Members whose head content detection may read per export (an X archive has ~150 ``.js``
files); past this, detection goes by file names only, so a hostile folder of a million tiny
files cannot make detection read them all."""

_ARCHIVE_SUFFIXES = (
    ".zip",
    ".gz",
    ".tgz",
    ".tar",
    ".bz2",
    ".xz",
    ".zst",
    ".7z",
    ".rar",
    ".jar",
)
_ARCHIVE_MAGIC = (
    b"PK\x03\x04",  # zip
    b"PK\x05\x06",  # empty zip
    b"\x1f\x8b",  # gzip
    b"7z\xbc\xaf",  # 7z
    b"Rar!",  # rar
    b"BZh",  # bzip2
    b"\xfd7zXZ",  # xz
    b"(\xb5/\xfd",  # zstd
)
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# zlib/zipfile failures surfacing from a damaged archive while reading.
_ZIP_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError)


class Readable(Protocol):
    """The part of a binary file parsers use."""

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes; ``b""`` at the end."""
        ...


def _safe_name(raw: str, *, file: str) -> str:
    """Normalise a member name to a relative POSIX path, or refuse it.

    Backslashes count as separators because Windows tools write them and Windows extractors
    honour them, so ``..\\..\\x`` is as dangerous as ``../../x``.
    """
    name = raw.replace("\\", "/")
    if "\x00" in name or name.startswith("/") or (len(name) >= 2 and name[1] == ":"):
        raise UnsafeMemberPath(raw, file=file)
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        raise UnsafeMemberPath(raw, file=file)
    return "/".join(parts)


def _looks_like_archive(name: str) -> bool:
    return name.lower().endswith(_ARCHIVE_SUFFIXES)


@dataclass(frozen=True, slots=True)
class _Member:
    name: str
    size: int
    compressed: int
    info: zipfile.ZipInfo | None = None  # zip members
    path: Path | None = None  # folder or single-file members


class _Budget:
    """Bytes actually read across all members of one source, against ``max_total_bytes``."""

    def __init__(self, limit: int, label: str) -> None:
        self.limit, self.label, self.used = limit, label, 0

    def spend(self, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise ArchiveTooLarge(self.used, self.limit, file=self.label)


class MemberReader:
    """A member opened for reading, counting what it yields against the caps.

    It refuses to produce more than the member's declared size (a lying header) or the member
    and total caps, and checks the first bytes for an archive signature.
    """

    def __init__(
        self, raw: BinaryIO, *, label: str, declared: int, limits: Limits, budget: _Budget
    ) -> None:
        self._raw = raw
        self.label = label
        self._declared = declared
        self._limits = limits
        self._budget = budget
        self._read = 0

    def read(self, size: int = -1, /) -> bytes:
        """Read like ``BinaryIO.read``; archive damage becomes :class:`CorruptArchive`."""
        if size < 0:
            size = self._declared - self._read + 1
        try:
            data = self._raw.read(size)
        except _ZIP_READ_ERRORS as err:
            raise CorruptArchive(f"damaged archive member ({err})", file=self.label) from err
        if self._read == 0 and data.startswith(_ARCHIVE_MAGIC):
            raise NestedArchive(self.label.rpartition(":")[2], file=self.label)
        self._read += len(data)
        if self._read > self._limits.max_member_bytes:
            raise MemberTooLarge(self._read, self._limits.max_member_bytes, file=self.label)
        if self._read > self._declared:
            raise CorruptArchive(
                f"member is larger than its declared {self._declared} bytes", file=self.label
            )
        self._budget.spend(len(data))
        return data

    def close(self) -> None:
        """Release the underlying handle."""
        self._raw.close()


class ExportSource:
    """The members of an export, checked and capped. Build it with :func:`open_export`."""

    def __init__(
        self,
        label: str,
        members: dict[str, _Member],
        limits: Limits,
        zf: zipfile.ZipFile | None = None,
    ) -> None:
        self.label = label
        self._members = members
        self._limits = limits
        self._zip = zf
        self._budget = _Budget(limits.max_total_bytes, label)
        self._heads: dict[str, bytes] = {}

    @property
    def names(self) -> tuple[str, ...]:
        """Member paths, relative, POSIX separators, sorted."""
        return tuple(sorted(self._members))

    def size(self, name: str) -> int:
        """Declared uncompressed size of a member."""
        return self._members[name].size

    def describe(self, name: str) -> str:
        """How to name a member in a message: ``export.zip:data/tweets.js``."""
        if self._zip is None and len(self._members) == 1 and Path(self.label).name == name:
            return self.label
        return f"{self.label}:{name}"

    def find(self, *candidates: str) -> str | None:
        """The member whose path is one of ``candidates``, or ends in ``/candidate``.

        Exports are often re-zipped with one top-level folder (``twitter-2024-01-01/data/…``),
        so a match below one extra folder level is accepted. The shallowest match wins; two
        equally shallow matches are ambiguous and yield None rather than a guess.
        """
        for candidate in candidates:
            if candidate in self._members:
                return candidate
            hits = [n for n in self._members if n.endswith("/" + candidate)]
            hits = [h for h in hits if h.count("/") == candidate.count("/") + 1]
            if len(hits) == 1:
                return hits[0]
        return None

    def find_all(self, predicate_suffix: str) -> list[str]:
        """Members whose file name ends with ``predicate_suffix`` (sorted)."""
        return sorted(n for n in self._members if n.endswith(predicate_suffix))

    @contextmanager
    def open(self, name: str, *, budget: _Budget | None = None) -> Iterator[MemberReader]:
        """Open a member for streaming; caps are enforced as bytes are read."""
        member = self._members[name]
        label = self.describe(name)
        raw: BinaryIO
        if member.info is not None:
            assert self._zip is not None  # noqa: S101 -- zip members only exist with a zip
            try:
                raw = self._zip.open(member.info)  # type: ignore[assignment]
            except _ZIP_READ_ERRORS as err:
                raise CorruptArchive(f"cannot open member ({err})", file=label) from err
        else:
            assert member.path is not None  # noqa: S101 -- non-zip members carry their path
            raw = _open_regular(member.path, label)
        reader = MemberReader(
            raw,
            label=label,
            declared=member.size,
            limits=self._limits,
            budget=self._budget if budget is None else budget,
        )
        try:
            yield reader
        finally:
            reader.close()

    def head(self, name: str) -> bytes | None:
        """The first :data:`HEAD_BYTES` of a member, for content detection; None when unread.

        Read at most once per member (every parser's ``sniff`` asks for the same heads) and at
        most for :data:`MAX_PEEKS` members. These bounded reads are not counted against
        ``max_total_bytes``, which would otherwise refuse an export at exactly the limit because
        detection had read its first bytes before parsing read them all. An unsafe or damaged
        member raises its :class:`ArchiveError`; any other problem gives ``b""``.
        """
        cached = self._heads.get(name)
        if cached is not None:
            return cached
        if len(self._heads) >= MAX_PEEKS:
            return None
        try:
            with self.open(name, budget=_Budget(HEAD_BYTES + 1, self.label)) as fh:
                data = fh.read(HEAD_BYTES)
        except ArchiveError:
            raise
        except Exception:  # sniffing must not fail on content; parse() reports the cause
            data = b""
        self._heads[name] = data
        return data

    def head_text(self, name: str) -> str | None:
        """:meth:`head` decoded as UTF-8 (a BOM dropped, a cut last character ignored)."""
        data = self.head(name)
        if data is None:
            return None
        return data.decode("utf-8", "ignore").removeprefix("\ufeff")

    def candidates(self, *suffixes: str) -> list[str]:
        """Members content detection should look at: those whose name ends (case-insensitively)
        with one of ``suffixes``, shallowest first, then by name; for a single-file export, that
        file whatever its name (the user chose it)."""
        if self._zip is None and len(self._members) == 1:
            return list(self._members)
        found = [n for n in self._members if n.lower().endswith(suffixes)]
        return sorted(found, key=lambda n: (n.count("/"), n))

    def locate(
        self,
        name: str,
        suffix: str,
        looks_like: Callable[[str], bool],
        *,
        what: str,
        advice: str,
    ) -> str | None:
        """The member ``name`` if present; else the one member ending in ``suffix`` whose first
        bytes ``looks_like`` accepts; else None.

        Browsers save a second download as ``name (1).ext`` and users rename files, so a name is
        only a hint; but a damaged file that *is* so named still counts by name, so the user gets
        the parser's precise error rather than "unknown platform".

        Raises:
            PlatformError: several members look alike and none has the name (which to read would
                be a guess): "<what> (<members>); <advice>".
        """
        member = self.find(name)
        if member is not None:
            return member
        found = [n for n in self.candidates(suffix) if looks_like(self.head_text(n) or "")]
        if len(found) > 1:
            raise PlatformError(f"{what} ({', '.join(found[:4])}); {advice}", file=self.label)
        return found[0] if found else None

    def read_text_head(self, name: str, n: int = 4096) -> str:
        """The first ``n`` bytes of a member as text, for cheap sniffing.

        An unsafe or damaged container (:class:`ArchiveError`: a nested archive, a broken
        member) is raised, because it is the real answer to "what is this export"; any other
        problem gives '' and is left for ``parse`` to report precisely.
        """
        try:
            with self.open(name) as fh:
                return fh.read(n).decode("utf-8", "replace")
        except ArchiveError:
            raise
        except Exception:  # sniffing must not fail on content; parse() reports the cause
            return ""


def _open_regular(path: Path, label: str) -> BinaryIO:
    """Open a file without following a symlink planted after the listing (O_NOFOLLOW)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise NotAnArchive(f"cannot open ({err.strerror})", file=label) from err
    return os.fdopen(fd, "rb")


def _check_caps(label: str, members: dict[str, _Member], limits: Limits) -> None:
    total = 0
    for name, m in members.items():
        where = f"{label}:{name}"
        if m.size > limits.max_member_bytes:
            raise MemberTooLarge(m.size, limits.max_member_bytes, file=where)
        if m.info is not None and m.size > limits.ratio_floor:
            ratio = m.size / max(m.compressed, 1)
            if ratio > limits.max_ratio:
                raise CompressionRatioTooHigh(ratio, limits.max_ratio, file=where)
        total += m.size
        if total > limits.max_total_bytes:
            raise ArchiveTooLarge(total, limits.max_total_bytes, file=label)


def _zip_members(zf: zipfile.ZipFile, label: str, limits: Limits) -> dict[str, _Member]:
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise TooManyMembers(len(infos), limits.max_members, file=label)
    members: dict[str, _Member] = {}
    for info in infos:
        name = _safe_name(info.filename, file=label)
        mode = info.external_attr >> 16
        if info.create_system == 3 and stat.S_ISLNK(mode):
            raise SymlinkMember(info.filename, file=label)
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            raise EncryptedMember(info.filename, file=label)
        if _looks_like_archive(name):
            raise NestedArchive(info.filename, file=label)
        if name in members:
            raise DuplicateMember(info.filename, file=label)
        members[name] = _Member(name, info.file_size, info.compress_size, info=info)
    return members


def _dir_members(root: Path, label: str, limits: Limits) -> dict[str, _Member]:
    members: dict[str, _Member] = {}
    stack = [root]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as it:
            for entry in it:
                rel = Path(entry.path).relative_to(root).as_posix()
                if entry.is_symlink():
                    raise SymlinkMember(rel, file=label)
                if entry.is_dir(follow_symlinks=False):
                    stack.append(Path(entry.path))
                    continue
                if not entry.is_file(follow_symlinks=False):
                    continue  # sockets, fifos: never read
                if _looks_like_archive(rel):
                    raise NestedArchive(rel, file=label)
                size = entry.stat(follow_symlinks=False).st_size
                members[rel] = _Member(rel, size, size, path=Path(entry.path))
                if len(members) > limits.max_members:
                    raise TooManyMembers(len(members), limits.max_members, file=label)
    return members


@contextmanager
def open_export(
    path: str | os.PathLike[str], limits: Limits | None = None
) -> Iterator[ExportSource]:
    """Open an export for safe reading.

    Args:
        path: a ``.zip`` archive, a folder (an extracted export), or a single data file
            (``conversations.json``, ``result.json``, ``data.jsonl``).
        limits: caps; the defaults of :class:`Limits` when None.

    Yields:
        An :class:`ExportSource` whose members have passed every name, type and size check.

    Raises:
        ArchiveError: the container is unsafe, over a cap, damaged, or not an export at all.
    """
    limits = limits or Limits()
    p = Path(path)
    label = str(path)
    if p.is_symlink():
        raise SymlinkMember(p.name, file=label)
    if p.is_dir():
        members = _dir_members(p, label, limits)
        _check_caps(label, members, limits)
        yield ExportSource(label, members, limits)
        return
    if not p.is_file():
        raise NotAnArchive("not a file or folder", file=label)
    with _open_regular(p, label) as fh:
        magic = fh.read(4)
    if magic in _ZIP_MAGIC:
        try:
            zf = zipfile.ZipFile(p)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as err:
            raise CorruptArchive(f"damaged or truncated zip ({err})", file=label) from err
        with zf:
            members = _zip_members(zf, label, limits)
            _check_caps(label, members, limits)
            yield ExportSource(label, members, limits, zf)
        return
    if p.suffix.lower() == ".zip" or magic.startswith(_ARCHIVE_MAGIC):
        raise NotAnArchive("not a zip archive (no zip signature)", file=label)
    size = p.stat().st_size
    members = {p.name: _Member(p.name, size, size, path=p)}
    _check_caps(label, members, limits)
    yield ExportSource(label, members, limits)
