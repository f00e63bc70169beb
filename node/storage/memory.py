"""``MemoryBlobStore``: an in-memory :class:`~node.storage.base.BlobStore` for tests.

A fake, not a mock: it runs the real importer and the real verified reader over a dict of
blocks, so code tested against it sees the same CIDs, errors and limits as against disk or Kubo.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import BinaryIO

from node.storage._cid import ParsedCid, parse_cid
from node.storage.errors import BlockNotFound
from node.storage.unixfs import PROJECT_LAYOUT, Layout, import_stream, read_file, walk_blocks
from node.types import Cid

__all__ = ["MemoryBlobStore"]


class MemoryBlobStore:
    """Blocks in a dict keyed by CIDv1; pins in a set."""

    def __init__(self, *, layout: Layout = PROJECT_LAYOUT) -> None:
        """Create an empty store that adds with ``layout``."""
        self._layout = layout
        self.blocks: dict[ParsedCid, bytes] = {}
        """Exposed so tests can inspect or corrupt stored blocks."""
        self.pinned: set[ParsedCid] = set()

    @property
    def layout(self) -> Layout:
        """The importer settings this store adds blobs with."""
        return self._layout

    def _put(self, cid: ParsedCid, data: bytes) -> None:
        self.blocks.setdefault(cid.to_v1(), data)

    def _get(self, cid: ParsedCid) -> bytes:
        try:
            return self.blocks[cid.to_v1()]
        except KeyError:
            raise BlockNotFound(cid.encode()) from None

    def add(self, data: bytes | BinaryIO, *, pin: bool = True) -> Cid:
        """Import a blob and return its root CID."""
        stream: BinaryIO = io.BytesIO(data) if isinstance(data, bytes) else data
        result = import_stream(stream, self._layout, self._put)
        if pin:
            self.pinned.add(result.root.to_v1())
        return result.cid

    def cat(self, cid: Cid, *, max_bytes: int) -> Iterator[bytes]:
        """Stream a blob back, verified (see :func:`node.storage.unixfs.read_file`)."""
        return read_file(parse_cid(cid), self._get, max_bytes=max_bytes)

    def has(self, cid: Cid) -> bool:
        """Whether the root block is stored."""
        return parse_cid(cid).to_v1() in self.blocks

    def pin(self, cid: Cid) -> None:
        """Pin a root whose whole DAG is present and intact."""
        root = parse_cid(cid)
        for _ in walk_blocks(root, self._get):
            pass
        self.pinned.add(root.to_v1())
