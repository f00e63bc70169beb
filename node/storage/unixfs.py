"""The UnixFS file importer, byte-identical to Kubo's ``ipfs add`` with the balanced layout, and
the matching verified reader.

What "identical" requires (boxo ``ipld/unixfs/importer/balanced`` + ``helpers``):

* Fixed-size chunking with ``io.ReadFull`` semantics: every chunk is exactly ``chunk_size`` bytes
  except the last; an empty file is one empty leaf.
* Leaves are raw blocks (always CIDv1 ``raw``, even when the layout asks for CIDv0) or, without
  raw leaves, dag-pb UnixFS ``File`` nodes holding the bytes.
* A file that fits in one chunk *is* its leaf. Otherwise the root is the smallest complete
  ``max_links``-ary tree that holds all leaves, filled left to right; interior nodes are never
  collapsed, so the last branch can be a chain of single-child nodes.

The builder keeps one list of pending links per tree level and flushes a level into a parent
node as soon as it holds ``max_links`` links. Memory is therefore ``O(max_links · depth)`` plus
one chunk buffer, flat in the file size.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Final

from node.storage._cid import DAG_PB, RAW, ParsedCid
from node.storage.dagpb import (
    DagPbError,
    UnixFsType,
    decode_node,
    decode_unixfs,
    encode_file_node,
    leaf_node_parts,
)
from node.storage.errors import BlobTooLarge, MalformedBlock, UnsupportedNode
from node.types import Cid

__all__ = [
    "KUBO_V0_LAYOUT",
    "MAX_CHUNK_SIZE",
    "PROJECT_LAYOUT",
    "BlockSink",
    "FileImporter",
    "ImportResult",
    "Layout",
    "import_bytes",
    "import_stream",
    "read_file",
    "walk_blocks",
]

MAX_CHUNK_SIZE: Final = 1 << 20
"""Kubo's chunker refuses larger chunks (boxo ``chunk.ChunkSizeLimit``)."""
_MAX_DEPTH: Final = 32
"""Reader recursion bound. 174-ary trees of 256 KiB chunks reach depth 5 at 10 PiB."""

BlockSink = Callable[[ParsedCid, bytes], None]
"""Receives every block the importer creates, children before parents."""
BlockSource = Callable[[ParsedCid], bytes]
"""Returns the bytes stored under a CID (unverified: the reader re-hashes them)."""


@dataclass(frozen=True, slots=True)
class Layout:
    """Importer settings that change the CID. Defaults are the project's layout (DESIGN §3).

    Attributes:
        cid_version: 0 (dag-pb nodes as base58 ``Qm…``) or 1 (base32 ``b…``).
        raw_leaves: leaves as ``raw`` blocks rather than UnixFS nodes.
        chunk_size: fixed chunk size in bytes (Kubo's ``--chunker=size-N``).
        max_links: children per interior node (Kubo's ``--max-file-links``).
    """

    cid_version: int = 1
    raw_leaves: bool = True
    chunk_size: int = 262_144
    max_links: int = 174

    def __post_init__(self) -> None:
        if self.cid_version not in (0, 1):
            raise ValueError(f"cid_version must be 0 or 1, not {self.cid_version}")
        if not 1 <= self.chunk_size <= MAX_CHUNK_SIZE:
            raise ValueError(f"chunk_size must be in 1..{MAX_CHUNK_SIZE}, not {self.chunk_size}")
        if self.max_links < 2:
            raise ValueError(f"max_links must be at least 2, not {self.max_links}")

    def describe(self) -> str:
        """The settings in words, e.g. ``CIDv1, raw leaves, 256 KiB chunks, 174 links``."""
        leaves = "raw leaves" if self.raw_leaves else "dag-pb leaves"
        return (
            f"CIDv{self.cid_version}, {leaves}, {_size_words(self.chunk_size)} chunks, "
            f"{self.max_links} links"
        )

    def kubo_add_command(self) -> str:
        """The ``ipfs add`` (Kubo) command line that gives the same CIDs as this layout.

        Only flags that differ from Kubo's defaults are written: CIDv0, 256 KiB chunks, 174
        links, and raw leaves exactly when ``--cid-version=1`` is given. So the project's layout
        is ``ipfs add --cid-version=1`` and :data:`KUBO_V0_LAYOUT` is a plain ``ipfs add``.
        """
        flags = ["ipfs", "add"]
        if self.cid_version != 0:
            flags.append(f"--cid-version={self.cid_version}")
        if self.raw_leaves != (self.cid_version == 1):
            flags.append(f"--raw-leaves={str(self.raw_leaves).lower()}")
        if self.chunk_size != _KUBO_CHUNK_SIZE:
            flags.append(f"--chunker=size-{self.chunk_size}")
        if self.max_links != _KUBO_MAX_LINKS:
            flags.append(f"--max-file-links={self.max_links}")
        return " ".join(flags)


_KUBO_CHUNK_SIZE: Final = 262_144
_KUBO_MAX_LINKS: Final = 174


def _size_words(n: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n}-byte"


PROJECT_LAYOUT: Final = Layout()
"""CIDv1, raw leaves, 256 KiB chunks, 174 links: ``ipfs add --cid-version=1`` (DESIGN §3)."""
KUBO_V0_LAYOUT: Final = Layout(cid_version=0, raw_leaves=False)
"""Kubo's historical default (``ipfs add`` with no flags, ``legacy-cid-v0`` profile)."""


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What importing a file produced.

    Attributes:
        cid: the root CID string, as Kubo prints it.
        root: the parsed root CID.
        size: file bytes imported.
        dag_size: cumulative size of all blocks (Kubo's ``Size`` in ``add`` output).
        blocks: number of blocks created (duplicates counted each time).
    """

    cid: Cid
    root: ParsedCid
    size: int
    dag_size: int
    blocks: int


_Link = tuple[bytes, int, int]  # (binary CID, Tsize, file bytes below)


class FileImporter:
    """Incremental importer: ``write()`` any slices of the file, then ``finish()``.

    Use :func:`import_stream` for files and streams; this class serves callers that receive the
    bytes piecemeal (an upload being forwarded while its CID is computed).
    """

    def __init__(self, layout: Layout = PROJECT_LAYOUT, sink: BlockSink | None = None) -> None:
        """Start an import.

        Args:
            layout: importer settings.
            sink: called with every block created; None computes the CID only.
        """
        self._layout = layout
        self._sink = sink
        self._levels: list[list[_Link]] = []
        self._pending = bytearray()
        self._size = 0
        self._blocks = 0
        self._leaves = 0
        self._done = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append file bytes.

        Raises:
            RuntimeError: after :meth:`finish`.
        """
        if self._done:
            raise RuntimeError("write after finish")
        view = memoryview(data).cast("B")
        size = self._layout.chunk_size
        if self._pending:
            take = min(size - len(self._pending), len(view))
            self._pending += view[:take]
            view = view[take:]
            if len(self._pending) < size:
                return
            self._add_leaf(self._pending)
            self._pending = bytearray()
        while len(view) >= size:
            self._add_leaf(view[:size])
            view = view[size:]
        self._pending += view

    def finish(self) -> ImportResult:
        """Emit the last leaf and all interior nodes; return the root.

        Raises:
            RuntimeError: if called twice.
        """
        if self._done:
            raise RuntimeError("finish called twice")
        self._done = True
        if self._pending or self._leaves == 0:  # the empty file is a single empty leaf
            self._add_leaf(self._pending)
            self._pending = bytearray()
        root = self._close_levels()
        cid_bytes, dag_size, size = root
        parsed = ParsedCid.from_bytes(cid_bytes)
        return ImportResult(parsed.encode(), parsed, size, dag_size, self._blocks)

    def _add_leaf(self, chunk: bytes | bytearray | memoryview) -> None:
        n = len(chunk)
        self._size += n
        self._leaves += 1
        if self._layout.raw_leaves:
            cid = ParsedCid.for_block(chunk, codec=RAW, version=1)
            if self._sink is not None:
                self._sink(cid, bytes(chunk))
            link = (cid.to_bytes(), n, n)
        else:
            prefix, suffix = leaf_node_parts(n)
            if self._sink is not None:
                block = b"".join((prefix, chunk, suffix))
                cid = ParsedCid.for_block(block, codec=DAG_PB, version=self._layout.cid_version)
                self._sink(cid, block)
            else:  # hash the node's three parts in place: no copy of the chunk
                h = hashlib.sha256(prefix)
                h.update(chunk)
                h.update(suffix)
                cid = ParsedCid(self._layout.cid_version, DAG_PB, h.digest())
            link = (cid.to_bytes(), len(prefix) + n + len(suffix), n)
        self._blocks += 1
        self._push(0, link)

    def _push(self, level: int, link: _Link) -> None:
        # Flushing a full level immediately is what makes the tree Kubo's: a full level-k node
        # is a complete subtree, and the next leaf starts a new sibling to its right.
        while True:
            if len(self._levels) == level:
                self._levels.append([])
            links = self._levels[level]
            links.append(link)
            if len(links) < self._layout.max_links:
                return
            link = self._node(links)
            self._levels[level] = []
            level += 1

    def _node(self, links: list[_Link]) -> _Link:
        block = encode_file_node(links)
        cid = ParsedCid.for_block(block, codec=DAG_PB, version=self._layout.cid_version)
        if self._sink is not None:
            self._sink(cid, block)
        self._blocks += 1
        return (
            cid.to_bytes(),
            len(block) + sum(tsize for _, tsize, _ in links),
            sum(size for _, _, size in links),
        )

    def _close_levels(self) -> _Link:
        top = max(i for i, links in enumerate(self._levels) if links)
        carry: _Link | None = None
        for level in range(top + 1):
            links = self._levels[level] + ([carry] if carry is not None else [])
            if not links:
                continue
            if level == top and len(links) == 1:
                return links[0]  # a complete tree (or a single leaf) is its own root
            carry = self._node(links)
        assert carry is not None  # noqa: S101 - the top level is non-empty by construction
        return carry


def import_stream(
    stream: BinaryIO, layout: Layout = PROJECT_LAYOUT, sink: BlockSink | None = None
) -> ImportResult:
    """Import a binary stream to its end.

    Reads straight into one reusable chunk buffer (``readinto``), so a CID-only run copies each
    byte once, into the hash.

    Args:
        stream: a readable binary stream; partial reads (pipes, sockets) are handled.
        layout: importer settings.
        sink: receives every block; None computes the CID only.

    Returns:
        The root CID and sizes.
    """
    importer = FileImporter(layout, sink)
    size = layout.chunk_size
    buf = bytearray(size)
    view = memoryview(buf)
    readinto = getattr(stream, "readinto", None)
    while True:
        filled = 0
        while filled < size:
            if readinto is not None:
                got = readinto(view[filled:])
            else:
                piece = stream.read(size - filled)
                got = len(piece)
                view[filled : filled + got] = piece
            if not got:
                break
            filled += got
        if filled:
            importer._add_leaf(view[:filled])  # full chunks skip write()'s copy
        if filled < size:
            break
    return importer.finish()


def import_bytes(
    data: bytes, layout: Layout = PROJECT_LAYOUT, sink: BlockSink | None = None
) -> ImportResult:
    """Import an in-memory blob (see :func:`import_stream`)."""
    return import_stream(io.BytesIO(data), layout, sink)


_FileNode = tuple[bytes, tuple[ParsedCid, ...], tuple[int, ...], int]


def _decode_file_node(cid: ParsedCid, block: bytes) -> _FileNode:
    """(own bytes, children, their file sizes, total file size) of a verified dag-pb file node."""
    try:
        node = decode_node(block)
        if node.data is None:
            raise UnsupportedNode(cid.encode(), "dag-pb node without UnixFS data")
        fs = decode_unixfs(node.data)
    except DagPbError as err:
        raise MalformedBlock(cid.encode(), str(err)) from None
    if fs.type not in (UnixFsType.FILE, UnixFsType.RAW):
        raise UnsupportedNode(cid.encode(), f"UnixFS type {fs.type} is not a file")
    if len(fs.blocksizes) != len(node.links):
        raise MalformedBlock(cid.encode(), "blocksizes do not match links")
    own = fs.data or b""
    total = len(own) + sum(fs.blocksizes)
    if fs.filesize is not None and fs.filesize != total:
        raise MalformedBlock(cid.encode(), f"filesize {fs.filesize} != sum of parts {total}")
    return own, tuple(link.cid for link in node.links), fs.blocksizes, total


def _fetch(cid: ParsedCid, get_block: BlockSource) -> bytes:
    block = get_block(cid)
    cid.verify(block)
    return block


def read_file(root: ParsedCid, get_block: BlockSource, *, max_bytes: int) -> Iterator[bytes]:
    """Stream a UnixFS file back, re-hashing every block before any of its bytes are yielded.

    The root is fetched and checked now, so an oversized or non-file root fails at the call; the
    rest is fetched lazily as the iterator is consumed.

    Args:
        root: the file's root CID.
        get_block: returns a block's stored bytes (this function verifies them).
        max_bytes: refuse files larger than this.

    Returns:
        An iterator over the file's bytes, in order.

    Raises:
        BlobTooLarge: if the file is larger than ``max_bytes``.
        CidMismatch: if any block does not hash to its CID (possibly during iteration).
        MalformedBlock, UnsupportedNode: if the DAG is not a well-formed UnixFS file.
        BlockNotFound: if ``get_block`` lacks a block.
    """
    block = _fetch(root, get_block)
    if root.codec == RAW:
        if len(block) > max_bytes:
            raise BlobTooLarge(len(block), max_bytes)
        return iter((block,))
    own, children, sizes, total = _decode_file_node(root, block)
    if total > max_bytes:
        raise BlobTooLarge(total, max_bytes)
    return _emit(own, children, sizes, get_block, depth=0)


def _emit(
    own: bytes,
    children: tuple[ParsedCid, ...],
    sizes: tuple[int, ...],
    get_block: BlockSource,
    depth: int,
) -> Iterator[bytes]:
    if own:
        yield own
    for child, expected in zip(children, sizes, strict=True):
        block = _fetch(child, get_block)
        if child.codec == RAW:
            if len(block) != expected:
                raise MalformedBlock(child.encode(), f"{len(block)} bytes, parent says {expected}")
            yield block
            continue
        if depth + 1 >= _MAX_DEPTH:
            raise MalformedBlock(child.encode(), f"DAG deeper than {_MAX_DEPTH}")
        c_own, c_children, c_sizes, c_total = _decode_file_node(child, block)
        if c_total != expected:
            raise MalformedBlock(child.encode(), f"{c_total} bytes, parent says {expected}")
        yield from _emit(c_own, c_children, c_sizes, get_block, depth + 1)


def walk_blocks(root: ParsedCid, get_block: BlockSource) -> Iterator[tuple[ParsedCid, bytes]]:
    """Every block reachable from ``root``, verified, depth-first pre-order, each once.

    This is the order ``ipfs dag export`` writes a CAR in. Any dag-pb node is followed (not only
    UnixFS files), so a directory DAG imported from a CAR can be exported and collected too.

    Raises:
        CidMismatch, BlockNotFound, MalformedBlock: as for :func:`read_file`.
    """
    seen: set[bytes] = set()
    stack: list[ParsedCid] = [root]
    while stack:
        cid = stack.pop()
        key = cid.multihash + bytes((cid.codec,))
        if key in seen:
            continue
        seen.add(key)
        block = _fetch(cid, get_block)
        yield cid, block
        if cid.codec == DAG_PB:
            try:
                node = decode_node(block)
            except DagPbError as err:
                raise MalformedBlock(cid.encode(), str(err)) from None
            stack.extend(link.cid for link in reversed(node.links))
