"""HAZARDOUS MATERIALS: the STREAM construction over AES-256-GCM. Use ``node.protocol.crypto``.

This module is the body cipher of DDF v1 (DESIGN.md §4), kept private because every argument
here can be misused: reusing a (key, nonce prefix) pair for two bodies breaks confidentiality
and authenticity of both, and the caller is trusted to pass the right plaintext length. The
recipe in ``crypto.py`` draws a fresh random key and prefix for every file and is the only
caller; application code must not import this module.

Construction (STREAM, Hoang, Reyhanitabar, Rogaway and Vizár, "Online Authenticated-Encryption
and its Nonce-Reuse Misuse-Resistance", CRYPTO 2015): the plaintext is cut into segments of
``segment_size`` bytes (the last one shorter, possibly empty); segment ``i`` of ``n`` is sealed
with AES-256-GCM under the nonce ``prefix(7) ‖ uint32_be(i) ‖ last(1)`` where ``last`` is 1 only
for ``i == n - 1``, and every segment carries the same associated data (the header hash). The
ciphertext is the concatenation of the sealed segments, each ``len(segment) + 16`` bytes, with no
framing: the header's plaintext length fixes every boundary.

What that buys, and what the reader below checks: a segment moved to another position fails
(its index is in the nonce); a stream cut at a segment boundary fails (the segment now last was
sealed with ``last = 0``, and the count is fixed anyway); duplicated or appended segments fail
(the reader demands end-of-stream after the final segment); more than 2^32 - 1 segments cannot be
written (the index would wrap and repeat a nonce).

The reader hands each segment's plaintext to the sink as soon as that segment authenticates,
which is what keeps memory bounded; a failure later in the stream therefore arrives after some
authentic plaintext was written. Callers that need all-or-nothing must buffer and discard on
error (``crypto.open_bytes_with_dek`` does).

Memory: two buffers of one segment each per segment in flight, reused for the whole stream
(``encrypt_into`` / ``decrypt_into`` write into them), whatever the file size: one pair when
single-threaded, ``threads + 1`` pairs when segments are sealed in parallel.
"""

from __future__ import annotations

import os
import struct
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from typing_extensions import Buffer

from node.errors import EnvelopeError
from node.protocol.header import (
    MAX_SEGMENT_SIZE,
    MAX_SEGMENTS,
    NONCE_PREFIX_LENGTH,
    expected_segment_count,
)

__all__ = [
    "KEY_LENGTH",
    "TAG_LENGTH",
    "Readable",
    "Writable",
    "decrypt",
    "default_threads",
    "encrypt",
    "nonce",
    "read_exactly",
]

KEY_LENGTH: Final = 32
TAG_LENGTH: Final = 16
_INDEX_AND_FLAG: Final = struct.Struct(">IB")


class Readable(Protocol):
    """A binary source. ``readinto`` is used when the object has it (no per-segment allocation)."""

    def read(self, size: int = -1, /) -> bytes: ...


class Writable(Protocol):
    """A binary sink. It must consume ``data`` before returning (as files do): the buffer behind
    the view is reused for the next segment."""

    def write(self, data: Buffer, /) -> object: ...


def nonce(prefix: bytes, index: int, *, last: bool) -> bytes:
    """The 12-byte nonce of segment ``index``: prefix ‖ uint32_be(index) ‖ last flag."""
    return prefix + _INDEX_AND_FLAG.pack(index, 1 if last else 0)


def default_threads() -> int:
    """Worker threads for the AEAD calls: the CPUs this process may use, at most 3.

    ``encrypt_into``/``decrypt_into`` release the GIL, so segments seal in parallel while the
    calling thread reads and writes. Past about 3 threads, reading and writing (single-threaded,
    in order) is the bottleneck, and every extra thread costs two more segment buffers.
    """
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(3, cpus))


def encrypt(
    *,
    key: bytes,
    nonce_prefix: bytes,
    aad: bytes,
    source: Readable,
    plaintext_length: int,
    segment_size: int,
    sink: Writable,
    threads: int = 1,
) -> int:
    """Seal exactly ``plaintext_length`` bytes from ``source`` into ``sink``; return bytes written.

    ``threads`` > 1 seals up to that many segments at once (see :func:`_pipeline`); the output
    is byte-for-byte the same.

    Raises:
        ValueError: bad parameters, or ``source`` holds fewer or more bytes than declared (the
            header already promised the length, so a mismatch is the caller's bug; the partial
            output cannot be opened because its final segment is missing).
    """
    count = _check_params(key, nonce_prefix, plaintext_length, segment_size)

    def load(index: int, slot: _Slot) -> None:
        slot.size = min(segment_size, plaintext_length - index * segment_size)
        if _read_exactly(source, slot.plain[: slot.size]) != slot.size:
            raise ValueError("source ended before the declared plaintext length")
        if index == count - 1 and _read_exactly(source, memoryview(bytearray(1))) != 0:
            raise ValueError("source holds more than the declared plaintext length")

    def work(index: int, slot: _Slot) -> None:
        n = nonce(nonce_prefix, index, last=index == count - 1)
        sealed = slot.sealed[: slot.size + TAG_LENGTH]
        slot.aead.encrypt_into(n, slot.plain[: slot.size], aad, sealed)

    def emit(index: int, slot: _Slot) -> None:
        sink.write(slot.sealed[: slot.size + TAG_LENGTH])

    _pipeline(count, key, segment_size, threads, load, work, emit)
    return plaintext_length + count * TAG_LENGTH


def decrypt(
    *,
    key: bytes,
    nonce_prefix: bytes,
    aad: bytes,
    source: Readable,
    plaintext_length: int,
    segment_size: int,
    sink: Writable,
    threads: int = 1,
) -> int:
    """Open a STREAM body from ``source`` into ``sink``; return plaintext bytes written.

    Reads exactly the ciphertext the header promises, then demands end-of-stream. Segments are
    written in order, each only after it authenticated; with ``threads`` > 1 up to that many
    are authenticated at once.

    Raises:
        EnvelopeError: a segment failed to authenticate, the stream ended early, or bytes
            follow the final segment. Opaque on purpose: no hint which one.
    """
    try:
        count = _check_params(key, nonce_prefix, plaintext_length, segment_size)
    except ValueError:
        raise EnvelopeError from None

    def load(index: int, slot: _Slot) -> None:
        slot.size = min(segment_size, plaintext_length - index * segment_size)
        segment = slot.sealed[: slot.size + TAG_LENGTH]
        if _read_exactly(source, segment) != len(segment):
            raise EnvelopeError
        # The trailing-bytes check happens as the final segment is read, i.e. before it is
        # released, so a stream with a trailer never yields a complete-looking plaintext.
        if index == count - 1 and _read_exactly(source, memoryview(bytearray(1))) != 0:
            raise EnvelopeError

    def work(index: int, slot: _Slot) -> None:
        n = nonce(nonce_prefix, index, last=index == count - 1)
        segment = slot.sealed[: slot.size + TAG_LENGTH]
        try:
            slot.aead.decrypt_into(n, segment, aad, slot.plain[: slot.size])
        except InvalidTag:
            raise EnvelopeError from None

    def emit(index: int, slot: _Slot) -> None:
        sink.write(slot.plain[: slot.size])

    _pipeline(count, key, segment_size, threads, load, work, emit)
    return plaintext_length


@dataclass(slots=True)
class _Slot:
    """One segment in flight: its plaintext and sealed buffers, reused for the whole stream."""

    aead: AESGCM  # one per slot, so no AEAD object is ever used by two threads at once
    plain: memoryview
    sealed: memoryview
    size: int = 0


def _pipeline(
    count: int,
    key: bytes,
    segment_size: int,
    threads: int,
    load: Callable[[int, _Slot], None],
    work: Callable[[int, _Slot], None],
    emit: Callable[[int, _Slot], None],
) -> None:
    """For each segment in order: ``load`` it, ``work`` on it (the AEAD call), ``emit`` it.

    ``load`` and ``emit`` always run on the calling thread and in index order; only ``work``
    moves to a pool of ``threads`` workers. Slot ``i % depth`` serves segment ``i``; before it
    is loaded again, its previous segment (``i - depth``) has been emitted, because the oldest
    pending segment is always emitted first. Memory: ``depth = threads + 1`` slots of two
    segment buffers each (one slot when single-threaded). An exception from any step stops the
    stream; nothing after the failing segment is emitted.
    """
    depth = 1 if threads <= 1 or count == 1 else min(threads + 1, count)
    slots = [
        _Slot(
            aead=AESGCM(key),
            plain=memoryview(bytearray(segment_size)),
            sealed=memoryview(bytearray(segment_size + TAG_LENGTH)),
        )
        for _ in range(depth)
    ]
    if depth == 1:
        for index in range(count):
            load(index, slots[0])
            work(index, slots[0])
            emit(index, slots[0])
        return

    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="ddf-stream")
    pending: deque[tuple[int, _Slot, Future[None]]] = deque()
    try:
        for index in range(count):
            if len(pending) == depth:
                done_index, done_slot, future = pending.popleft()
                future.result()
                emit(done_index, done_slot)
            slot = slots[index % depth]
            load(index, slot)
            pending.append((index, slot, pool.submit(work, index, slot)))
        while pending:
            done_index, done_slot, future = pending.popleft()
            future.result()
            emit(done_index, done_slot)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _check_params(key: bytes, nonce_prefix: bytes, plaintext_length: int, segment_size: int) -> int:
    if len(key) != KEY_LENGTH:
        raise ValueError("key must be 32 bytes")
    if len(nonce_prefix) != NONCE_PREFIX_LENGTH:
        raise ValueError("nonce prefix must be 7 bytes")
    if not 0 < segment_size <= MAX_SEGMENT_SIZE:
        raise ValueError("segment size out of range")
    if plaintext_length < 0:
        raise ValueError("plaintext length must be non-negative")
    count = expected_segment_count(plaintext_length, segment_size)
    if count > MAX_SEGMENTS:
        raise ValueError("too many segments: the uint32 index would repeat a nonce")
    return count


def read_exactly(source: Readable, size: int) -> bytes:
    """Up to ``size`` bytes from ``source``, fewer only at end of stream.

    A single ``read(n)`` on a pipe, socket or raw file may legally return less than ``n``
    before the end; this keeps reading.
    """
    buf = bytearray(size)
    got = _read_exactly(source, memoryview(buf))
    return bytes(buf[:got])


def _read_exactly(source: Readable, view: memoryview) -> int:
    """Fill ``view`` from ``source``; return how many bytes arrived (less only at end of stream)."""
    readinto = getattr(source, "readinto", None)
    filled = 0
    while filled < len(view):
        if readinto is not None:
            got = readinto(view[filled:])
            if not got:  # 0 is end of stream; None (non-blocking, no data) is unsupported
                break
        else:
            chunk = source.read(len(view) - filled)
            if not chunk:
                break
            got = len(chunk)
            view[filled : filled + got] = chunk
        filled += got
    return filled
