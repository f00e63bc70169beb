"""CIDs as Kubo writes them: CIDv0 (bare sha2-256 multihash, base58btc) and CIDv1
(``version ‖ codec ‖ multihash``, base32 lower case), for the two codecs UnixFS uses.

Only sha2-256 is accepted: it is what every layout here produces, and a store that cannot
re-hash a block must not pretend to have verified it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from node.storage._multibase import b32_decode, b32_encode, b58_decode, b58_encode
from node.storage._varint import VarintError, decode_uvarint
from node.storage.errors import CidMismatch, InvalidCid
from node.types import Cid

__all__ = ["DAG_PB", "RAW", "SHA2_256", "ParsedCid", "parse_cid"]

DAG_PB = 0x70
RAW = 0x55
SHA2_256 = 0x12
_SHA2_256_LEN = 32
_MH_PREFIX = bytes((SHA2_256, _SHA2_256_LEN))
_V1_RAW_PREFIX = bytes((0x01, RAW)) + _MH_PREFIX
_V1_DAG_PB_PREFIX = bytes((0x01, DAG_PB)) + _MH_PREFIX
_CODECS = {DAG_PB: "dag-pb", RAW: "raw"}


@dataclass(frozen=True, slots=True)
class ParsedCid:
    """A decoded CID. Equality is on (version, codec, digest), i.e. on the binary CID.

    Attributes:
        version: 0 or 1.
        codec: multicodec of the block (``DAG_PB`` or ``RAW``); always dag-pb for v0.
        digest: the 32-byte sha2-256 digest of the block.
    """

    version: int
    codec: int
    digest: bytes

    def __post_init__(self) -> None:
        if self.version not in (0, 1):
            raise ValueError(f"unsupported CID version {self.version}")
        if self.codec not in _CODECS:
            raise ValueError(f"unsupported codec 0x{self.codec:x}")
        if self.version == 0 and self.codec != DAG_PB:
            raise ValueError("CIDv0 is always dag-pb")
        if len(self.digest) != _SHA2_256_LEN:
            raise ValueError("sha2-256 digest must be 32 bytes")

    @classmethod
    def for_block(
        cls, data: bytes | bytearray | memoryview, *, codec: int, version: int
    ) -> ParsedCid:
        """The CID of ``data`` under ``codec`` and ``version`` (sha2-256)."""
        return cls(version, codec, hashlib.sha256(data).digest())

    @property
    def multihash(self) -> bytes:
        """``0x12 0x20 ‖ digest``."""
        return _MH_PREFIX + self.digest

    def to_bytes(self) -> bytes:
        """The binary CID, as it appears in dag-pb links and CAR sections."""
        if self.version == 0:
            return _MH_PREFIX + self.digest
        prefix = _V1_RAW_PREFIX if self.codec == RAW else _V1_DAG_PB_PREFIX
        return prefix + self.digest

    def encode(self) -> Cid:
        """The canonical string: base58btc for v0, ``b`` + base32 for v1."""
        if self.version == 0:
            return Cid(b58_encode(self.to_bytes()))
        return Cid("b" + b32_encode(self.to_bytes()))

    def to_v1(self) -> ParsedCid:
        """The same block addressed as CIDv1 (v0 is dag-pb by definition)."""
        return self if self.version == 1 else ParsedCid(1, self.codec, self.digest)

    def __str__(self) -> str:
        return self.encode()

    def verify(self, data: bytes | bytearray | memoryview) -> None:
        """Re-hash ``data`` and compare with this CID's digest.

        Raises:
            CidMismatch: if the data hashes to a different digest.
        """
        actual = hashlib.sha256(data).digest()
        if actual != self.digest:
            raise CidMismatch(self.encode(), ParsedCid(self.version, self.codec, actual).encode())

    @classmethod
    def from_bytes(cls, raw: bytes | memoryview) -> ParsedCid:
        """Decode a complete binary CID.

        Raises:
            InvalidCid: if it is malformed, has trailing bytes, or uses an unsupported codec/hash.
        """
        cid, end = cls.read(raw, 0)
        if end != len(raw):
            raise InvalidCid(bytes(raw).hex(), "trailing bytes after CID")
        return cid

    @classmethod
    def read(cls, buf: bytes | memoryview, pos: int) -> tuple[ParsedCid, int]:
        """Decode a binary CID that starts at ``buf[pos]``; returns it and the position after it.

        Raises:
            InvalidCid: if it is malformed or uses an unsupported codec or hash.
        """
        try:
            if bytes(buf[pos : pos + 2]) == _MH_PREFIX:  # CIDv0: a bare sha2-256 multihash
                digest = bytes(buf[pos + 2 : pos + 2 + _SHA2_256_LEN])
                if len(digest) != _SHA2_256_LEN:
                    raise InvalidCid(bytes(buf[pos:]).hex(), "truncated multihash")
                return cls(0, DAG_PB, digest), pos + 2 + _SHA2_256_LEN
            version, p = decode_uvarint(buf, pos)
            codec, p = decode_uvarint(buf, p)
            mh_code, p = decode_uvarint(buf, p)
            mh_len, p = decode_uvarint(buf, p)
        except VarintError as err:
            raise InvalidCid(bytes(buf[pos : pos + 40]).hex(), str(err)) from None
        shown = bytes(buf[pos : pos + 40]).hex()
        if version != 1:
            raise InvalidCid(shown, f"unsupported CID version {version}")
        if codec not in _CODECS:
            raise InvalidCid(shown, f"unsupported codec 0x{codec:x}")
        if mh_code != SHA2_256 or mh_len != _SHA2_256_LEN:
            raise InvalidCid(shown, f"unsupported multihash 0x{mh_code:x}/{mh_len}")
        digest = bytes(buf[p : p + mh_len])
        if len(digest) != mh_len:
            raise InvalidCid(shown, "truncated multihash")
        return cls(1, codec, digest), p + mh_len


def parse_cid(value: str) -> ParsedCid:
    """Parse a CID string (``Qm…`` base58btc v0, or multibase ``b`` base32 / ``z`` base58 v1).

    Raises:
        InvalidCid: if the string is not a supported CID.
    """
    if not isinstance(value, str) or not value:
        raise InvalidCid(repr(value), "not a non-empty string")
    try:
        if len(value) == 46 and value.startswith("Qm"):
            raw = b58_decode(value)
            if len(raw) != 34:
                raise InvalidCid(value, "CIDv0 must be a 34-byte multihash")
            return ParsedCid.from_bytes(raw)
        if value[0] == "b":
            cid = ParsedCid.from_bytes(b32_decode(value[1:]))
        elif value[0] == "z":
            cid = ParsedCid.from_bytes(b58_decode(value[1:]))
        else:
            raise InvalidCid(value, "unsupported multibase prefix")
    except ValueError as err:
        raise InvalidCid(value, str(err)) from None
    if cid.version != 1:
        raise InvalidCid(value, "a multibase-prefixed CID must be CIDv1")
    return cid
