"""Sealing and opening stream with bounded memory: 64 MiB through in a few MiB of buffers
(at most 9 MiB, on a machine with 3 or more CPUs)."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from pathlib import Path

from typing_extensions import Buffer

from node.protocol import _stream
from node.protocol.crypto import SealContext, open_with_dek, read_header, seal
from node.protocol.dkg_local import LocalRitual

SIZE = 64 * 1024 * 1024 + 12345  # 65 segments, the last one partial
MiB = 1 << 20
# Per segment in flight, one plaintext and one sealed 1 MiB buffer; threads + 1 segments are in
# flight when sealing in parallel (at most 3 threads), one when single-threaded. Plus 1 MiB slack.
PEAK_LIMIT = (_stream.default_threads() + 1) * 2 * MiB + MiB


class PatternSource:
    """Bytes generated on demand (readinto only), so the test itself holds no 64 MiB copy.

    Each chunk is a fixed 1 MiB block stamped with a counter, so no two segments are equal.
    """

    def __init__(self, size: int, block: bytes) -> None:
        self._left = size
        self._block = block
        self._counter = 0

    def read(self, size: int = -1, /) -> bytes:  # the Readable protocol; readinto is used
        raise AssertionError("the stream layer should use readinto")

    def readinto(self, view: memoryview) -> int:
        n = min(len(view), self._left, len(self._block))
        view[:n] = self._block[:n]
        stamp = self._counter.to_bytes(8, "big")[:n]
        view[: len(stamp)] = stamp
        self._counter += 1
        self._left -= n
        return n


class HashSink:
    def __init__(self) -> None:
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: Buffer, /) -> int:
        view = memoryview(data)
        self.hash.update(view)
        self.size += len(view)
        return len(view)


def _pattern_digest(size: int, block: bytes) -> str:
    sink, source = HashSink(), PatternSource(size, block)
    buf = memoryview(bytearray(1 << 20))
    while got := source.readinto(buf):
        sink.write(buf[:got])
    return sink.hash.hexdigest()


def test_seal_and_open_64_mib_in_bounded_memory(
    tmp_path: Path, ritual: LocalRitual, ctx: SealContext
) -> None:
    sealed_path = tmp_path / "sealed"
    block = os.urandom(1 << 20)
    tracemalloc.start()
    try:
        with sealed_path.open("wb") as out:
            header = seal(PatternSource(SIZE, block), ritual.public_key, ctx, out=out, length=SIZE)
        _, seal_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sealed_path.stat().st_size == header.sealed_length

    dek = ritual.decrypt(header)  # threshold decryption, outside the measurement
    sink = HashSink()
    tracemalloc.start()
    try:
        with sealed_path.open("rb") as src:
            opened_header = read_header(src)
            open_with_dek(opened_header, src, dek, ctx, out=sink)
        _, open_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert sink.size == SIZE
    assert sink.hash.hexdigest() == _pattern_digest(SIZE, block)
    assert seal_peak < PEAK_LIMIT, f"sealing peaked at {seal_peak / 2**20:.1f} MiB"
    assert open_peak < PEAK_LIMIT, f"opening peaked at {open_peak / 2**20:.1f} MiB"
