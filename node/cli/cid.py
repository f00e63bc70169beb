"""``datadao cid PATH``: the CID of a file as it is, computed locally, nothing stored.

Two CIDs of "the same export" confused users (issue #22): this command hashes the file's bytes
as they are (the plaintext export), while ``datadao contribute`` stores a *sealed* copy,
encrypted under a fresh random key, so the CID ``contribute`` reports differs and differs again
on every seal. The command therefore says what it hashed and with which layout: the CID on
stdout (alone, for scripts), the explanation on stderr, or everything in one ``--json`` document.

The default layout is the project's storage layout (DESIGN §3: CIDv1, raw leaves, 256 KiB
chunks, 174 links), the same as ``ipfs add --cid-version=1``. A plain ``ipfs add`` with Kubo's
defaults gives CIDv0 (``Qm…``): ``--cid-version 0``. Streamed: memory is flat in the file size.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Final, Protocol, cast

import click

from node.cli.output import json_option, print_json
from node.errors import InputError
from node.storage.unixfs import (
    KUBO_V0_LAYOUT,
    MAX_CHUNK_SIZE,
    PROJECT_LAYOUT,
    ImportResult,
    Layout,
    import_stream,
)

__all__ = ["CidInputError", "cid"]

PROGRESS_MIN_BYTES: Final = 32 << 20
"""Smaller files hash in well under a second: a bar would only flicker."""
HASHED_FILE: Final = "plaintext file"
HASHED_STDIN: Final = "plaintext stdin"
_SEALED_NOTE: Final = (
    "not the sealed file `datadao contribute` stores: encrypted under a random key, it has "
    "another CID"
)


class CidInputError(InputError):
    """The path given to ``datadao cid`` cannot be hashed: missing, a directory, or unreadable."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot hash {path}: {reason}")
        self.path, self.reason = path, reason


class _Readable(Protocol):
    def readinto(self, buffer: bytearray | memoryview, /) -> int | None: ...


class _Counting:
    """A binary stream that reports how many bytes were read through it (for the progress bar).

    Only ``readinto`` is offered, which is what :func:`import_stream` uses when it exists."""

    def __init__(self, raw: _Readable, advance: Callable[[int], None]) -> None:
        self._raw = raw
        self._advance = advance

    def readinto(self, buf: bytearray | memoryview) -> int:
        n = self._raw.readinto(buf) or 0
        if n:
            self._advance(n)
        return n


def _stderr_is_tty() -> bool:
    return sys.stderr.isatty()


def show_progress(size: int | None, *, stderr_is_tty: bool) -> bool:
    """Whether to draw a bar: only at a terminal, and for inputs large or of unknown size."""
    return stderr_is_tty and (size is None or size >= PROGRESS_MIN_BYTES)


@contextmanager
def _progress(
    size: int | None, label: str, *, enabled: bool
) -> Iterator[Callable[[int], None] | None]:
    """A transient rich bar on stderr (never stdout: it carries the CID or the JSON)."""
    if not (enabled and show_progress(size, stderr_is_tty=_stderr_is_tty())):
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(
        TextColumn("[bold]hashing[/] {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=size)
        yield lambda n: bar.advance(task, n)


def _hash(
    stream: BinaryIO, size: int | None, label: str, layout: Layout, *, bar: bool = True
) -> ImportResult:
    with _progress(size, label, enabled=bar) as advance:
        if advance is not None and hasattr(stream, "readinto"):
            counting = _Counting(cast(_Readable, stream), advance)
            return import_stream(cast(BinaryIO, counting), layout)
        return import_stream(stream, layout)


def _hash_file(path: Path, layout: Layout) -> ImportResult:
    """Open, check and hash ``path``; every OS failure becomes one typed line."""
    shown = str(path)
    try:
        # Unbuffered: readinto() then fills the importer's chunk buffer straight from the kernel.
        fh = open(path, "rb", buffering=0)  # noqa: SIM115 - closed below, after the type check
    except FileNotFoundError:
        raise CidInputError(shown, "no such file") from None
    except IsADirectoryError:
        raise CidInputError(shown, "it is a directory; give one file") from None
    except OSError as err:
        raise CidInputError(shown, err.strerror or type(err).__name__) from None
    with fh:
        st = os.fstat(fh.fileno())
        if stat.S_ISDIR(st.st_mode):  # not every platform refuses to open() a directory
            raise CidInputError(shown, "it is a directory; give one file")
        size = st.st_size if stat.S_ISREG(st.st_mode) else None  # a pipe's size is unknown
        try:
            return _hash(fh, size, path.name, layout)
        except OSError as err:
            raise CidInputError(shown, f"read failed: {err.strerror or err}") from None


def _hash_stdin(layout: Layout) -> ImportResult:
    try:
        # no bar over what someone is typing at the terminal
        return _hash(sys.stdin.buffer, None, "stdin", layout, bar=not sys.stdin.isatty())
    except OSError as err:
        raise CidInputError("stdin", f"read failed: {err.strerror or err}") from None


@click.command("cid")
@click.argument("path", type=click.Path(allow_dash=True, path_type=Path))
@click.option(
    "--cid-version",
    type=click.IntRange(0, 1),
    default=PROJECT_LAYOUT.cid_version,
    show_default=True,
    help="1: the project's storage layout, as `ipfs add --cid-version=1` (bafy…/bafk…). "
    "0: what a plain `ipfs add` gives with Kubo's defaults (Qm…).",
)
@click.option(
    "--raw-leaves/--no-raw-leaves",
    default=None,
    help="Leaves as raw blocks. Default: on for CIDv1, off for CIDv0 (as Kubo does).",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(1, MAX_CHUNK_SIZE),
    default=PROJECT_LAYOUT.chunk_size,
    show_default=True,
    help="Fixed chunk size in bytes (Kubo's --chunker=size-N).",
)
@click.option(
    "--max-links",
    type=click.IntRange(min=2),
    default=PROJECT_LAYOUT.max_links,
    show_default=True,
    help="Links per interior node (Kubo's --max-file-links).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only the CID (no note on stderr).")
@json_option
def cid(
    path: Path,
    cid_version: int,
    raw_leaves: bool | None,
    chunk_size: int,
    max_links: int,
    quiet: bool,
    as_json: bool,
) -> None:
    """Print the CID of PATH's bytes as they are ('-' reads stdin); nothing is stored.

    This is the plaintext file: `datadao contribute` stores a sealed (encrypted, random-key)
    copy, whose CID is different. The CID goes to stdout, a note saying what was hashed and
    the equivalent `ipfs add` command to stderr. --json prints
    {"cid", "bytes", "hashed", "path", "layout": {..., "ipfs_add"}}.
    """
    layout = Layout(
        cid_version=cid_version,
        raw_leaves=cid_version == 1 if raw_leaves is None else raw_leaves,
        chunk_size=chunk_size,
        max_links=max_links,
    )
    stdin = str(path) == "-"
    result = _hash_stdin(layout) if stdin else _hash_file(path, layout)
    hashed = HASHED_STDIN if stdin else HASHED_FILE
    if as_json:
        print_json(
            {
                "cid": result.cid,
                "bytes": result.size,
                "hashed": hashed,
                "path": None if stdin else str(path),
                "layout": {
                    "cid_version": layout.cid_version,
                    "raw_leaves": layout.raw_leaves,
                    "chunk_size": layout.chunk_size,
                    "max_links": layout.max_links,
                    "description": layout.describe(),
                    "project_layout": layout == PROJECT_LAYOUT,
                    "ipfs_add": layout.kubo_add_command(),
                },
            }
        )
        return
    click.echo(result.cid)
    if not quiet:
        _explain(result, "stdin" if stdin else str(path), layout)


def _explain(result: ImportResult, what: str, layout: Layout) -> None:
    """The note on stderr: which bytes were hashed, with which layout, and what `ipfs add`
    command gives the same CID."""
    if layout == PROJECT_LAYOUT:
        known = " (the project's storage layout)"
    elif layout == KUBO_V0_LAYOUT:
        known = " (Kubo's defaults)"
    else:
        known = ""
    lines = [
        f"hashed: {what} as is: {result.size:,} bytes of plaintext",
        f"        ({_SEALED_NOTE})",
        f"layout: {layout.describe()}{known} = `{layout.kubo_add_command()}`",
    ]
    if layout == PROJECT_LAYOUT:
        lines.append("        a plain `ipfs add` (Kubo's defaults, CIDv0) matches --cid-version 0")
    click.echo("\n".join(lines), err=True)
