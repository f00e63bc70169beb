"""CAR v1 (Content Addressable aRchive) reading and writing, streaming.

Format (ipld.io/specs/transport/car/carv1): ``varint(len(header)) ‖ header`` where the header is
the dag-cbor map ``{"roots": [CID…], "version": 1}``, then per block
``varint(len(cid) + len(data)) ‖ cid ‖ data``. The header's dag-cbor is tiny and fixed, so it
is written and parsed here by hand (a strict subset of CBOR) rather than with a CBOR library.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO, Final

from node.storage._cid import ParsedCid
from node.storage._varint import VarintError, encode_uvarint, read_uvarint
from node.storage.errors import CarFormatError, InvalidCid

__all__ = ["MAX_HEADER_SIZE", "MAX_SECTION_SIZE", "CarReader", "read_car", "write_car"]

MAX_HEADER_SIZE: Final = 1 << 20
"""Refuse headers above 1 MiB: ~27,000 roots, far more than any export here writes."""
MAX_SECTION_SIZE: Final = 8 << 20
"""Refuse block sections above 8 MiB (go-car's ``MaxAllowedSectionSize``); blocks are ≤ 1 MiB."""
_CID_TAG: Final = 42


def _cbor_head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes((major << 5 | value,))
    for info, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * width):
            return bytes((major << 5 | info,)) + value.to_bytes(width, "big")
    raise ValueError("CBOR length out of range")


def encode_header(roots: Sequence[ParsedCid]) -> bytes:
    """The dag-cbor CAR v1 header (keys in dag-cbor order: "roots" before "version")."""
    out = bytearray(b"\xa2" + _cbor_head(3, 5) + b"roots" + _cbor_head(4, len(roots)))
    for root in roots:
        raw = b"\0" + root.to_bytes()  # dag-cbor CID: tag 42 over 0x00 ‖ binary CID
        out += _cbor_head(6, _CID_TAG) + _cbor_head(2, len(raw)) + raw
    out += _cbor_head(3, 7) + b"version" + _cbor_head(0, 1)
    return bytes(out)


def write_car(
    out: BinaryIO, roots: Sequence[ParsedCid], blocks: Iterable[tuple[ParsedCid, bytes]]
) -> int:
    """Write a CAR v1 stream.

    Args:
        out: a writable binary stream.
        roots: the header's roots.
        blocks: ``(cid, data)`` pairs in the order to write them.

    Returns:
        The number of bytes written.
    """
    header = encode_header(roots)
    written = out.write(encode_uvarint(len(header)) + header)
    for cid, data in blocks:
        raw = cid.to_bytes()
        written += out.write(encode_uvarint(len(raw) + len(data)) + raw)
        written += out.write(data)
    return written


class _Cbor:
    """A strict decoder for the CBOR subset a CAR header uses (no floats, no indefinite length)."""

    def __init__(self, buf: bytes) -> None:
        self._buf = buf
        self._pos = 0

    def _take(self, n: int) -> bytes:
        if self._pos + n > len(self._buf):
            raise CarFormatError("header: truncated CBOR")
        out = self._buf[self._pos : self._pos + n]
        self._pos += n
        return out

    def _head(self) -> tuple[int, int]:
        first = self._take(1)[0]
        major, info = first >> 5, first & 0x1F
        if info < 24:
            return major, info
        if info > 27:
            raise CarFormatError("header: indefinite or reserved CBOR length")
        return major, int.from_bytes(self._take(1 << (info - 24)), "big")

    def value(self, depth: int = 0) -> object:
        if depth > 4:
            raise CarFormatError("header: CBOR nested too deeply")
        major, arg = self._head()
        if major == 0:
            return arg
        if major in (2, 3):
            raw = self._take(arg)
            if major == 2:
                return raw
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                raise CarFormatError("header: text is not UTF-8") from None
        if major == 4:
            return [self.value(depth + 1) for _ in range(arg)]
        if major == 5:
            items: dict[object, object] = {}
            for _ in range(arg):
                key = self.value(depth + 1)
                if not isinstance(key, str) or key in items:
                    raise CarFormatError("header: map keys must be unique strings")
                items[key] = self.value(depth + 1)
            return items
        if major == 6 and arg == _CID_TAG:
            raw_cid = self.value(depth + 1)
            if not isinstance(raw_cid, bytes) or raw_cid[:1] != b"\0":
                raise CarFormatError("header: malformed CID link")
            try:
                return ParsedCid.from_bytes(raw_cid[1:])
            except InvalidCid as err:
                raise CarFormatError(f"header: root {err.reason}") from None
        raise CarFormatError(f"header: unsupported CBOR major type {major}")

    def done(self) -> bool:
        return self._pos == len(self._buf)


def decode_header(buf: bytes) -> list[ParsedCid]:
    """Parse a CAR v1 header; returns its roots.

    Raises:
        CarFormatError: if it is not ``{"roots": [CID, …], "version": 1}`` with at least one root.
    """
    cbor = _Cbor(buf)
    header = cbor.value()
    if not cbor.done():
        raise CarFormatError("header: trailing bytes")
    if not isinstance(header, dict):
        raise CarFormatError("header is not a map")
    if header.get("version") != 1:
        raise CarFormatError(f"unsupported CAR version {header.get('version')!r}")
    roots = header.get("roots")
    if not isinstance(roots, list) or not roots:
        raise CarFormatError("header needs a non-empty roots list")
    if not all(isinstance(r, ParsedCid) for r in roots):
        raise CarFormatError("header roots must be CIDs")
    return [r for r in roots if isinstance(r, ParsedCid)]


@dataclass(frozen=True, slots=True)
class CarReader:
    """A CAR stream's roots, and an iterator over its verified blocks."""

    roots: tuple[ParsedCid, ...]
    blocks: Iterator[tuple[ParsedCid, bytes]]


def _read_exact(stream: BinaryIO, n: int, what: str) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise CarFormatError(f"truncated {what}")
    return data


def read_car(stream: BinaryIO, *, max_section_size: int = MAX_SECTION_SIZE) -> CarReader:
    """Open a CAR v1 stream: read the header now, verify each block as it is iterated.

    Args:
        stream: a readable binary stream.
        max_section_size: refuse any block section larger than this.

    Returns:
        The roots, and a lazy iterator of ``(cid, data)`` whose data matched its CID.

    Raises:
        CarFormatError: on a malformed header or section (also during iteration).
        CidMismatch: during iteration, if a block does not hash to its CID.
    """
    try:
        length = read_uvarint(stream)
    except VarintError as err:
        raise CarFormatError(f"header length: {err}") from None
    if length is None or length == 0:
        raise CarFormatError("empty stream")
    if length > MAX_HEADER_SIZE:
        raise CarFormatError(f"header of {length} bytes exceeds {MAX_HEADER_SIZE}")
    roots = decode_header(_read_exact(stream, length, "header"))
    return CarReader(tuple(roots), _blocks(stream, max_section_size))


def _blocks(stream: BinaryIO, max_section_size: int) -> Iterator[tuple[ParsedCid, bytes]]:
    while True:
        try:
            length = read_uvarint(stream)
        except VarintError as err:
            raise CarFormatError(f"section length: {err}") from None
        if length is None:
            return
        if length > max_section_size:
            raise CarFormatError(f"section of {length} bytes exceeds {max_section_size}")
        section = _read_exact(stream, length, "section")
        try:
            cid, start = ParsedCid.read(section, 0)
        except InvalidCid as err:
            raise CarFormatError(f"section CID: {err.reason}") from None
        data = section[start:]
        cid.verify(data)
        yield cid, data
