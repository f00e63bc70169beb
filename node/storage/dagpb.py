"""dag-pb nodes carrying UnixFS ``Data``, encoded byte for byte as boxo (go-unixfs/go-merkledag)
writes them, and decoded strictly enough to walk a file DAG.

Byte-exactness is the point: a CID is a hash of these bytes, so field order and presence must
match Kubo's. What boxo writes, and therefore what this module writes:

* ``PBNode``: every ``Links`` entry (field 2) first, then ``Data`` (field 1) — dag-pb's canonical
  order, not field-number order.
* ``PBLink``: ``Hash`` (1), ``Name`` (2) **always present, empty** for file chunks, ``Tsize`` (3).
* UnixFS ``Data``: ``Type`` (1), ``Data`` (2) only for a leaf that carries bytes, ``filesize`` (3)
  always, one ``blocksizes`` (4) entry per child, unpacked (proto2 ``repeated uint64``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from node.storage._cid import ParsedCid
from node.storage._varint import VarintError, decode_uvarint, encode_uvarint
from node.storage.errors import InvalidCid

__all__ = [
    "DagPbError",
    "PbLink",
    "PbNode",
    "UnixFsData",
    "UnixFsType",
    "decode_node",
    "decode_unixfs",
    "encode_file_node",
    "encode_leaf_node",
    "leaf_node_parts",
]

_WIRE_VARINT = 0
_WIRE_LEN = 2
# Pre-computed tags (field_number << 3 | wire_type).
_TAG_PBNODE_DATA = 0x0A
_TAG_PBNODE_LINK = 0x12
_TAG_LINK_HASH = 0x0A
_TAG_LINK_NAME = 0x12
_TAG_LINK_TSIZE = 0x18
_TAG_FS_TYPE = 0x08
_TAG_FS_DATA = 0x12
_TAG_FS_FILESIZE = 0x18
_TAG_FS_BLOCKSIZE = 0x20
_EMPTY_NAME = bytes((_TAG_LINK_NAME, 0))


class DagPbError(ValueError):
    """Bytes are not a well-formed dag-pb node or UnixFS Data message."""


class UnixFsType(IntEnum):
    """UnixFS ``Data.DataType``."""

    RAW = 0
    DIRECTORY = 1
    FILE = 2
    METADATA = 3
    SYMLINK = 4
    HAMT_SHARD = 5


@dataclass(frozen=True, slots=True)
class PbLink:
    """One dag-pb link: the child's CID, its name (None if absent) and cumulative size."""

    cid: ParsedCid
    name: str | None
    tsize: int | None


@dataclass(frozen=True, slots=True)
class PbNode:
    """A decoded dag-pb node."""

    links: tuple[PbLink, ...]
    data: bytes | None


@dataclass(frozen=True, slots=True)
class UnixFsData:
    """The UnixFS fields a file reader needs (mode/mtime and the HAMT fields are skipped)."""

    type: int
    data: bytes | None
    filesize: int | None
    blocksizes: tuple[int, ...]


def _len_field(tag: int, payload: bytes | bytearray | memoryview) -> bytes:
    return bytes((tag,)) + encode_uvarint(len(payload))


def leaf_node_parts(size: int) -> tuple[bytes, bytes]:
    """The bytes before and after a ``size``-byte chunk in its non-raw leaf node.

    Lets the importer hash ``prefix ‖ chunk ‖ suffix`` without first copying the chunk into a
    new block (the copy halved CID-only throughput for CIDv0 layouts).
    """
    fs_len = 2 + (1 + len(encode_uvarint(size)) + size if size else 0) + 1
    fs_len += len(encode_uvarint(size))
    prefix = bytearray((_TAG_PBNODE_DATA,))
    prefix += encode_uvarint(fs_len)
    prefix += bytes((_TAG_FS_TYPE, UnixFsType.FILE))
    if size:  # boxo leaves Data unset for the empty file
        prefix.append(_TAG_FS_DATA)
        prefix += encode_uvarint(size)
    suffix = bytes((_TAG_FS_FILESIZE,)) + encode_uvarint(size)
    return bytes(prefix), suffix


def encode_leaf_node(chunk: bytes | bytearray | memoryview) -> bytes:
    """A leaf as boxo writes it without raw leaves: UnixFS ``File`` holding the chunk's bytes.

    Args:
        chunk: the leaf's bytes (non-empty, except for the empty file).

    Returns:
        The encoded dag-pb block.
    """
    prefix, suffix = leaf_node_parts(len(chunk))
    return b"".join((prefix, chunk, suffix))


def encode_file_node(links: list[tuple[bytes, int, int]]) -> bytes:
    """An internal UnixFS ``File`` node over ``links``.

    Args:
        links: per child ``(binary CID, Tsize, file bytes under the child)``, in file order.

    Returns:
        The encoded dag-pb block.
    """
    out = bytearray()
    filesize = 0
    fs_sizes = bytearray()
    for cid_bytes, tsize, child_filesize in links:
        link = (
            _len_field(_TAG_LINK_HASH, cid_bytes)
            + cid_bytes
            + _EMPTY_NAME
            + bytes((_TAG_LINK_TSIZE,))
            + encode_uvarint(tsize)
        )
        out += _len_field(_TAG_PBNODE_LINK, link)
        out += link
        filesize += child_filesize
        fs_sizes.append(_TAG_FS_BLOCKSIZE)
        fs_sizes += encode_uvarint(child_filesize)
    fs = bytes((_TAG_FS_TYPE, UnixFsType.FILE, _TAG_FS_FILESIZE)) + encode_uvarint(filesize)
    fs += fs_sizes
    out += _len_field(_TAG_PBNODE_DATA, fs)
    out += fs
    return bytes(out)


def _fields(buf: bytes) -> list[tuple[int, int, int | bytes]]:
    """Split a protobuf message into ``(field, wire_type, value)``; only varint and len wires."""
    out: list[tuple[int, int, int | bytes]] = []
    pos = 0
    end = len(buf)
    try:
        while pos < end:
            key, pos = decode_uvarint(buf, pos)
            field, wire = key >> 3, key & 7
            if field == 0:
                raise DagPbError("field number 0")
            if wire == _WIRE_VARINT:
                value, pos = decode_uvarint(buf, pos)
                out.append((field, wire, value))
            elif wire == _WIRE_LEN:
                length, pos = decode_uvarint(buf, pos)
                if pos + length > end:
                    raise DagPbError("length-delimited field runs past the end")
                out.append((field, wire, buf[pos : pos + length]))
                pos += length
            else:
                raise DagPbError(f"unsupported wire type {wire}")
    except VarintError as err:
        raise DagPbError(str(err)) from None
    return out


def decode_node(block: bytes) -> PbNode:
    """Decode a dag-pb node strictly (dag-pb spec: links before data, no unknown fields).

    Raises:
        DagPbError: if the bytes are not a valid dag-pb node.
    """
    links: list[PbLink] = []
    data: bytes | None = None
    for field, wire, value in _fields(block):
        if field == 2 and wire == _WIRE_LEN and isinstance(value, bytes):
            if data is not None:
                raise DagPbError("link after Data")
            links.append(_decode_link(value))
        elif field == 1 and wire == _WIRE_LEN and isinstance(value, bytes):
            if data is not None:
                raise DagPbError("duplicate Data")
            data = value
        else:
            raise DagPbError(f"unexpected PBNode field {field}")
    return PbNode(tuple(links), data)


def _decode_link(buf: bytes) -> PbLink:
    cid: ParsedCid | None = None
    name: str | None = None
    tsize: int | None = None
    for field, wire, value in _fields(buf):
        if field == 1 and wire == _WIRE_LEN and isinstance(value, bytes) and cid is None:
            try:
                cid = ParsedCid.from_bytes(value)
            except InvalidCid as err:
                raise DagPbError(f"link hash: {err.reason}") from None
        elif field == 2 and wire == _WIRE_LEN and isinstance(value, bytes) and name is None:
            try:
                name = value.decode("utf-8")
            except UnicodeDecodeError:
                raise DagPbError("link name is not UTF-8") from None
        elif field == 3 and wire == _WIRE_VARINT and isinstance(value, int) and tsize is None:
            tsize = value
        else:
            raise DagPbError(f"unexpected or repeated PBLink field {field}")
    if cid is None:
        raise DagPbError("link without Hash")
    return PbLink(cid, name, tsize)


def decode_unixfs(data: bytes) -> UnixFsData:
    """Decode the UnixFS ``Data`` message carried in a dag-pb node.

    Unknown fields (mode, mtime, hashType, fanout) are skipped: they do not change file bytes.

    Raises:
        DagPbError: if required fields are missing or malformed.
    """
    fs_type: int | None = None
    payload: bytes | None = None
    filesize: int | None = None
    blocksizes: list[int] = []
    for field, wire, value in _fields(data):
        if field == 1 and wire == _WIRE_VARINT and isinstance(value, int):
            fs_type = value
        elif field == 2 and wire == _WIRE_LEN and isinstance(value, bytes):
            payload = value
        elif field == 3 and wire == _WIRE_VARINT and isinstance(value, int):
            filesize = value
        elif field == 4 and wire == _WIRE_VARINT and isinstance(value, int):
            blocksizes.append(value)
        elif field == 4 and wire == _WIRE_LEN and isinstance(value, bytes):
            pos = 0  # a packed encoding is legal proto2 on the wire; accept it when reading
            while pos < len(value):
                try:
                    size, pos = decode_uvarint(value, pos)
                except VarintError as err:
                    raise DagPbError(str(err)) from None
                blocksizes.append(size)
    if fs_type is None:
        raise DagPbError("UnixFS Data without Type")
    return UnixFsData(fs_type, payload, filesize, tuple(blocksizes))
