"""Small stream adapters for custody: a ``read(n)`` view over a verified block iterator, and a
writer that hashes what passes through it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import BinaryIO

from typing_extensions import Buffer

__all__ = ["HashingWriter", "IteratorReader"]


class IteratorReader:
    """``read(n)`` over an iterator of byte chunks, pulling only as far as the caller reads.

    ``BlobStore.cat`` verifies each block before yielding it, so reading only a header fetches
    and verifies only the first block(s).
    """

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buf = bytearray()

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buf) < n:
            try:
                self._buf += next(self._chunks)
            except StopIteration:
                break
        if n < 0 or n > len(self._buf):
            n = len(self._buf)
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


class HashingWriter:
    """Writes through to ``sink`` while computing SHA-256 and counting bytes and newlines."""

    def __init__(self, sink: BinaryIO) -> None:
        self._sink = sink
        self._hash = hashlib.sha256()
        self.length = 0
        self.lines = 0
        self.last_byte = b""

    def write(self, data: Buffer, /) -> int:
        view = bytes(memoryview(data))
        self._sink.write(view)
        self._hash.update(view)
        self.length += len(view)
        self.lines += view.count(b"\n")
        if view:
            self.last_byte = view[-1:]
        return len(view)

    def digest(self) -> bytes:
        return self._hash.digest()
