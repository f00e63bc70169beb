"""Unsigned LEB128 varints, as used by multiformats (CIDs, multihashes, CAR framing) and protobuf.

Hand-written rather than imported: it is twenty lines, and the multiformats rules (minimal
encoding, at most 9 bytes, so at most 63 bits) are stricter than what general protobuf readers
accept. Rejecting non-minimal encodings matters because two byte strings must never decode to the
same CID.
"""

from __future__ import annotations

from typing import BinaryIO

__all__ = ["MAX_VARINT_BYTES", "VarintError", "decode_uvarint", "encode_uvarint", "read_uvarint"]

MAX_VARINT_BYTES = 9
"""The multiformats unsigned-varint spec caps varints at 9 bytes (63 bits of payload)."""


class VarintError(ValueError):
    """A varint is truncated, too long or not minimally encoded."""


def encode_uvarint(value: int) -> bytes:
    """Encode a non-negative integer as an unsigned varint.

    Args:
        value: 0 <= value < 2**63.

    Returns:
        The minimal LEB128 encoding.

    Raises:
        ValueError: if the value is negative or needs more than 63 bits.
    """
    if value < 0 or value >= 1 << 63:
        raise ValueError(f"varint out of range: {value}")
    if value < 0x80:  # the common case (tags, small lengths) without a loop
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode_uvarint(buf: bytes | bytearray | memoryview, pos: int = 0) -> tuple[int, int]:
    """Decode one unsigned varint from ``buf`` at ``pos``.

    Args:
        buf: The bytes to read from.
        pos: Where the varint starts.

    Returns:
        ``(value, next_pos)``.

    Raises:
        VarintError: if the varint is truncated, longer than 9 bytes or not minimal.
    """
    value = 0
    shift = 0
    end = len(buf)
    for i in range(MAX_VARINT_BYTES):
        if pos + i >= end:
            raise VarintError("truncated varint")
        byte = buf[pos + i]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            if byte == 0 and i > 0:
                raise VarintError("varint is not minimally encoded")
            return value, pos + i + 1
        shift += 7
    raise VarintError(f"varint longer than {MAX_VARINT_BYTES} bytes")


def read_uvarint(stream: BinaryIO) -> int | None:
    """Read one unsigned varint from a stream.

    Args:
        stream: A binary stream positioned at a varint.

    Returns:
        The value, or None at a clean end of stream (no byte read at all).

    Raises:
        VarintError: if the stream ends inside the varint, or it is too long or not minimal.
    """
    raw = bytearray()
    while len(raw) < MAX_VARINT_BYTES:
        byte = stream.read(1)
        if not byte:
            if raw:
                raise VarintError("truncated varint")
            return None
        raw += byte
        if byte[0] < 0x80:
            value, _ = decode_uvarint(raw)
            return value
    raise VarintError(f"varint longer than {MAX_VARINT_BYTES} bytes")
