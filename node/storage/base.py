"""The ``BlobStore`` Protocol: what the rest of the node needs from content-addressed storage.

Three implementations share it and one conformance suite
(``tests/unit/node/storage/blobstore_conformance.py``): :class:`~node.storage.local.LocalBlockstore`
(the embedded default), :class:`~node.storage.kubo.KuboStore` (a Kubo daemon) and
:class:`~node.storage.memory.MemoryBlobStore` (the test double).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, Protocol, runtime_checkable

from node.storage.errors import BlobTooLarge
from node.storage.unixfs import Layout
from node.types import Cid

__all__ = ["BlobStore", "read_blob"]


@runtime_checkable
class BlobStore(Protocol):
    """Content-addressed blob storage with Kubo-identical CIDs.

    Every implementation computes CIDs with the same importer and layout, so the CID a blob gets
    does not depend on where it is stored; every read re-hashes what it returns.
    """

    @property
    def layout(self) -> Layout:
        """The importer settings this store adds blobs with."""
        ...

    def add(self, data: bytes | BinaryIO, *, pin: bool = True) -> Cid:
        """Store a blob (bytes or a binary stream, read to its end) and return its CID.

        Raises:
            CidMismatch: if a remote backend reports a CID other than the local computation.
            StorageError: on any other storage failure.
        """
        ...

    def cat(self, cid: Cid, *, max_bytes: int) -> Iterator[bytes]:
        """Stream a blob back; every block is verified before its bytes are yielded.

        Raises:
            BlobTooLarge: if the blob is larger than ``max_bytes`` (raised by the call itself).
            BlockNotFound: if the blob (or, during iteration, a part of it) is missing.
            CidMismatch: if stored bytes do not hash to their CID.
        """
        ...

    def has(self, cid: Cid) -> bool:
        """Whether the root block of ``cid`` is stored locally (no network lookups)."""
        ...

    def pin(self, cid: Cid) -> None:
        """Protect the blob and every block under it from garbage collection.

        Raises:
            StorageError: if the blob is not (completely) available.
        """
        ...


def read_blob(store: BlobStore, cid: Cid, *, max_bytes: int) -> bytes:
    """Read a whole blob into memory, verified, refusing more than ``max_bytes``.

    Raises:
        BlobTooLarge: if the blob is larger than ``max_bytes``.
    """
    out = bytearray()
    for piece in store.cat(cid, max_bytes=max_bytes):
        out += piece
        if len(out) > max_bytes:  # defence in depth: cat() already checked the declared size
            raise BlobTooLarge(len(out), max_bytes)
    return bytes(out)
