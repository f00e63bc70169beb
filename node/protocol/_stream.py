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

Memory: two buffers of one segment each, reused for the whole stream (``encrypt_into`` /
``decrypt_into`` write into them), whatever the file size.
"""

from __future__ import annotations

import struct
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

__all__ = ["KEY_LENGTH", "TAG_LENGTH", "Readable", "Writable", "decrypt", "encrypt", "nonce"]

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


def encrypt(
    *,
    key: bytes,
    nonce_prefix: bytes,
    aad: bytes,
    source: Readable,
    plaintext_length: int,
    segment_size: int,
    sink: Writable,
) -> int:
    """Seal exactly ``plaintext_length`` bytes from ``source`` into ``sink``; return bytes written.

    Raises:
        ValueError: bad parameters, or ``source`` holds fewer or more bytes than declared (the
            header already promised the length, so a mismatch is the caller's bug; the partial
            output cannot be opened because its final segment is missing).
    """
    count = _check_params(key, nonce_prefix, plaintext_length, segment_size)
    aead = AESGCM(key)
    plain = memoryview(bytearray(segment_size))
    sealed = memoryview(bytearray(segment_size + TAG_LENGTH))
    remaining = plaintext_length
    written = 0
    for index in range(count):
        size = min(segment_size, remaining)
        if _read_exactly(source, plain[:size]) != size:
            raise ValueError("source ended before the declared plaintext length")
        remaining -= size
        last = index == count - 1
        if last and _read_exactly(source, memoryview(bytearray(1))) != 0:
            raise ValueError("source holds more than the declared plaintext length")
        out = sealed[: size + TAG_LENGTH]
        aead.encrypt_into(nonce(nonce_prefix, index, last=last), plain[:size], aad, out)
        sink.write(out)
        written += len(out)
    return written


def decrypt(
    *,
    key: bytes,
    nonce_prefix: bytes,
    aad: bytes,
    source: Readable,
    plaintext_length: int,
    segment_size: int,
    sink: Writable,
) -> int:
    """Open a STREAM body from ``source`` into ``sink``; return plaintext bytes written.

    Reads exactly the ciphertext the header promises, then demands end-of-stream.

    Raises:
        EnvelopeError: a segment failed to authenticate, the stream ended early, or bytes
            follow the final segment. Opaque on purpose: no hint which one.
    """
    try:
        count = _check_params(key, nonce_prefix, plaintext_length, segment_size)
    except ValueError:
        raise EnvelopeError from None
    aead = AESGCM(key)
    sealed = memoryview(bytearray(segment_size + TAG_LENGTH))
    plain = memoryview(bytearray(segment_size))
    remaining = plaintext_length
    for index in range(count):
        size = min(segment_size, remaining)
        segment = sealed[: size + TAG_LENGTH]
        if _read_exactly(source, segment) != len(segment):
            raise EnvelopeError
        remaining -= size
        last = index == count - 1
        try:
            aead.decrypt_into(nonce(nonce_prefix, index, last=last), segment, aad, plain[:size])
        except InvalidTag:
            raise EnvelopeError from None
        # Check for appended bytes before releasing the final segment, so a stream with a
        # trailer never yields a complete-looking plaintext.
        if last and _read_exactly(source, memoryview(bytearray(1))) != 0:
            raise EnvelopeError
        sink.write(plain[:size])
    return plaintext_length


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
