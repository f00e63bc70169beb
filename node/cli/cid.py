"""``datadao cid PATH``: print the CID Kubo would give a file, without storing anything.

Equivalent to ``ipfs add --only-hash --quieter`` with the given layout, computed locally and
streamed (memory stays flat for files of any size). Defaults are the project's layout
(DESIGN §3): CIDv1, raw leaves, 256 KiB chunks, 174 links per node.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from node.storage.unixfs import MAX_CHUNK_SIZE, PROJECT_LAYOUT, Layout, import_stream


@click.command("cid")
@click.argument(
    "path", type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path)
)
@click.option(
    "--cid-version",
    type=click.IntRange(0, 1),
    default=PROJECT_LAYOUT.cid_version,
    show_default=True,
    help="CID version: 0 (Qm… base58btc) or 1 (b… base32).",
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
def cid(
    path: Path, cid_version: int, raw_leaves: bool | None, chunk_size: int, max_links: int
) -> None:
    """Print the CID `ipfs add --only-hash` would give PATH ('-' reads stdin)."""
    layout = Layout(
        cid_version=cid_version,
        raw_leaves=cid_version == 1 if raw_leaves is None else raw_leaves,
        chunk_size=chunk_size,
        max_links=max_links,
    )
    if str(path) == "-":
        result = import_stream(sys.stdin.buffer, layout)
    else:
        # Unbuffered: readinto() then fills the importer's chunk buffer straight from the kernel.
        with open(path, "rb", buffering=0) as fh:
            result = import_stream(fh, layout)
    click.echo(result.cid)
