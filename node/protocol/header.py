"""DDF v2 header: the fixed canonical byte encoding of a sealed file's header (DESIGN.md §4).

The header says what a sealed file is bound to (chain, registry, dataset, contributor, ritual,
content commitment), carries the data key (DEK) wrapped with Ferveo to the ritual's DKG public
key, and fixes the body's shape (nonce prefix, segment size, segment count, plaintext length).
Its keccak256 is the ``headerHash`` registered on chain; its sha256 is the AAD of every body
segment, so no header byte can change without every segment failing to authenticate.

Version 2 names the **contributor** where v1 carried a submitter-chosen ``file_id``: the file id
is now derived, ``keccak256(abi.encode(contributor, headerHash))``
(:func:`node.protocol.ids.submission_file_id`, also computed on chain), so a front-runner who
copies a pending submission can neither claim it under its own address (the header, and with it
the file id, names the sealer) nor re-seal it without a new header hash. The dataset's
validation set is sealed with the zero address as contributor.

Encoding, version 2 (all integers unsigned big-endian, no padding, no optional fields)::

    offset  size  field
         0     4  magic               b"DDF\\x00"
         4     1  version             0x02
         5    32  chain_id            uint256
        37    20  registry            address (20 raw bytes; shown as an EIP-55 checksum address)
        57    32  dataset_id          uint256
        89    20  contributor         address (20 raw bytes; EIP-55 checksum address)
       109     4  ritual_id           uint32
       113     7  nonce_prefix        7 random bytes, fresh per file
       120     4  segment_size        uint32, plaintext bytes per segment (writers: 1 MiB)
       124     4  segment_count       uint32, = max(1, ceil(plaintext_length / segment_size))
       128     8  plaintext_length    uint64
       136    32  content_commitment  bytes32 (sha256 of the export's canonical JSONL)
    ---- 168 bytes: the "header core" ----
       168     2  wrapped_dek_length  uint16, n
       170     n  wrapped_dek         Ferveo ``Ciphertext`` bytes (216 for nucypher-core 0.16)

The header core is every field except the wrapped DEK; ``sha256(core)`` is the Ferveo AAD, so
the wrapped key only decrypts (and validators only release shares) for this exact file context.
Because the wrapped DEK is the header's last field, the core is simply the first 168 bytes.

Decoding is strict: the magic, version 2 (anything else fails closed), a segment size in
``1..MAX_SEGMENT_SIZE`` (bounds a reader's memory), a segment count that matches the plaintext
length, a wrapped DEK of ``1..MAX_WRAPPED_DEK_LENGTH`` bytes, and no trailing bytes. One
canonical byte string per header value, so ``decode(encode(h)) == h`` and
``encode(decode(b)) == b`` for every ``b`` that decodes.

Every decoding failure raises :class:`node.errors.EnvelopeError` without saying which check failed:
headers arrive from untrusted storage, and the error must not become an oracle. The one
exception is a well-formed **version 1** header, which raises its subclass
:class:`node.errors.UnsupportedDdfVersion` with a message telling the holder to re-seal: the
version byte is public, so naming it reveals nothing, and an old export is a user's situation,
not an attack.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import Final

from eth_hash.auto import keccak
from eth_typing import HexAddress, HexStr

from node.errors import EnvelopeError, UnsupportedDdfVersion
from node.types import (
    ChecksumAddress,
    ContentCommitment,
    DatasetId,
    HeaderHash,
    RitualId,
)

__all__ = [
    "CORE_LENGTH",
    "MAGIC",
    "MAX_HEADER_LENGTH",
    "MAX_SEGMENTS",
    "MAX_SEGMENT_SIZE",
    "MAX_WRAPPED_DEK_LENGTH",
    "NONCE_PREFIX_LENGTH",
    "V1",
    "VERSION",
    "Header",
    "checksum_address",
    "core_wrap_aad",
    "expected_segment_count",
    "is_checksum_address",
]

MAGIC: Final = b"DDF\x00"
VERSION: Final = 2
V1: Final = 1
"""The retired version: recognised only to refuse it with :class:`UnsupportedDdfVersion`."""
NONCE_PREFIX_LENGTH: Final = 7
MAX_SEGMENT_SIZE: Final = 1 << 20
"""Readers refuse larger segments, so opening never buffers more than this per segment."""
MAX_SEGMENTS: Final = (1 << 32) - 1
"""The segment index is a uint32 in the nonce; one more segment would reuse a nonce."""
MAX_WRAPPED_DEK_LENGTH: Final = 1024
"""Generous over Ferveo's 216 bytes; caps what a reader accepts from untrusted storage."""

_UINT256_LIMIT: Final = 1 << 256
_UINT64_LIMIT: Final = 1 << 64
_UINT32_LIMIT: Final = 1 << 32

# magic, version, chain_id, registry, dataset_id, contributor, ritual_id, nonce_prefix,
# segment_size, segment_count, plaintext_length, content_commitment. struct has no 256-bit
# integer, so the two uint256 fields are packed as 32 raw bytes instead.
_CORE: Final = struct.Struct(">4sB32s20s32s20sI7sIIQ32s")
CORE_LENGTH: Final = _CORE.size
_DEK_LEN: Final = struct.Struct(">H")
MAX_HEADER_LENGTH: Final = CORE_LENGTH + _DEK_LEN.size + MAX_WRAPPED_DEK_LENGTH
_V1_CORE_LENGTH: Final = 180
"""v1's core (a 32-byte file id where v2 has the 20-byte contributor)."""
_V1_MAX_HEADER_LENGTH: Final = _V1_CORE_LENGTH + _DEK_LEN.size + MAX_WRAPPED_DEK_LENGTH


def expected_segment_count(plaintext_length: int, segment_size: int) -> int:
    """Segments needed for ``plaintext_length`` bytes; an empty body is one empty final segment.

    The final segment always exists (it carries the last-segment flag), which is what makes
    truncation at a segment boundary detectable.
    """
    return max(1, -(-plaintext_length // segment_size))


@dataclass(frozen=True, slots=True)
class Header:
    """A decoded DDF v2 header. Construct it through :meth:`decode` or the sealing recipe."""

    chain_id: int
    registry: ChecksumAddress
    dataset_id: DatasetId
    contributor: ChecksumAddress
    ritual_id: RitualId
    nonce_prefix: bytes
    segment_size: int
    segment_count: int
    plaintext_length: int
    content_commitment: ContentCommitment
    wrapped_dek: bytes
    version: int = VERSION

    def __post_init__(self) -> None:
        # Eager checks: a Header that exists always encodes, and encodes canonically.
        _check_uint("chain_id", self.chain_id, _UINT256_LIMIT)
        if not is_checksum_address(self.registry):
            raise ValueError("registry must be an EIP-55 checksum address")
        _check_uint("dataset_id", self.dataset_id, _UINT256_LIMIT)
        if not is_checksum_address(self.contributor):
            raise ValueError("contributor must be an EIP-55 checksum address")
        _check_uint("ritual_id", self.ritual_id, _UINT32_LIMIT)
        _check_bytes("nonce_prefix", self.nonce_prefix, NONCE_PREFIX_LENGTH)
        _check_uint("segment_size", self.segment_size, MAX_SEGMENT_SIZE + 1)
        if self.segment_size == 0:
            raise ValueError("segment_size must be positive")
        _check_uint("plaintext_length", self.plaintext_length, _UINT64_LIMIT)
        if self.segment_count != expected_segment_count(self.plaintext_length, self.segment_size):
            raise ValueError("segment_count does not match plaintext_length and segment_size")
        if self.segment_count > MAX_SEGMENTS:
            raise ValueError("too many segments for one file")
        _check_bytes("content_commitment", self.content_commitment, 32)
        if not isinstance(self.wrapped_dek, bytes) or not (
            0 < len(self.wrapped_dek) <= MAX_WRAPPED_DEK_LENGTH
        ):
            raise ValueError(f"wrapped_dek must be 1..{MAX_WRAPPED_DEK_LENGTH} bytes")
        if self.version != VERSION:
            raise ValueError(f"only DDF version {VERSION} can be written")

    def core(self) -> bytes:
        """The header core: every field except the wrapped DEK (the first 168 bytes)."""
        return _CORE.pack(
            MAGIC,
            self.version,
            self.chain_id.to_bytes(32, "big"),
            bytes.fromhex(self.registry[2:]),
            self.dataset_id.to_bytes(32, "big"),
            bytes.fromhex(self.contributor[2:]),
            self.ritual_id,
            self.nonce_prefix,
            self.segment_size,
            self.segment_count,
            self.plaintext_length,
            self.content_commitment,
        )

    def encode(self) -> bytes:
        """The canonical header bytes (what ``header_hash`` and the body AAD cover)."""
        return self.core() + _DEK_LEN.pack(len(self.wrapped_dek)) + self.wrapped_dek

    def header_hash(self) -> HeaderHash:
        """keccak256 of the encoded header: the ``headerHash`` registered on chain."""
        return HeaderHash(keccak(self.encode()))

    def body_aad(self) -> bytes:
        """sha256 of the encoded header: the associated data of every body segment."""
        return hashlib.sha256(self.encode()).digest()

    def wrap_aad(self) -> bytes:
        """sha256 of the header core: the Ferveo AAD that binds the wrapped DEK to this file."""
        return core_wrap_aad(self.core())

    @classmethod
    def decode(cls, data: bytes) -> Header:
        """Parse canonical header bytes; any deviation raises an opaque ``EnvelopeError``.

        Raises:
            UnsupportedDdfVersion: a well-formed DDF v1 header (re-seal the export).
            EnvelopeError: anything else that is not a canonical v2 header.
        """
        if not isinstance(data, bytes):
            raise EnvelopeError
        if _is_v1(data):
            raise UnsupportedDdfVersion
        if not (CORE_LENGTH + _DEK_LEN.size < len(data) <= MAX_HEADER_LENGTH):
            raise EnvelopeError
        (
            magic,
            version,
            chain_id,
            registry,
            dataset_id,
            contributor,
            ritual_id,
            nonce_prefix,
            segment_size,
            segment_count,
            plaintext_length,
            content_commitment,
        ) = _CORE.unpack_from(data)
        # Check magic and version before anything else: a future version may lay out the rest
        # differently, so nothing after the version byte means anything to this reader.
        if magic != MAGIC or version != VERSION:
            raise EnvelopeError
        (dek_length,) = _DEK_LEN.unpack_from(data, CORE_LENGTH)
        if len(data) != CORE_LENGTH + _DEK_LEN.size + dek_length:
            raise EnvelopeError
        try:
            return cls(
                chain_id=int.from_bytes(chain_id, "big"),
                registry=checksum_address(registry),
                dataset_id=DatasetId(int.from_bytes(dataset_id, "big")),
                contributor=checksum_address(contributor),
                ritual_id=RitualId(ritual_id),
                nonce_prefix=nonce_prefix,
                segment_size=segment_size,
                segment_count=segment_count,
                plaintext_length=plaintext_length,
                content_commitment=ContentCommitment(content_commitment),
                wrapped_dek=data[CORE_LENGTH + _DEK_LEN.size :],
            )
        except ValueError:
            raise EnvelopeError from None


def checksum_address(raw: bytes) -> ChecksumAddress:
    """The EIP-55 mixed-case form of a 20-byte address.

    Implemented here (a dozen lines over keccak) rather than imported from ``eth_utils``, whose
    import pulls in pydantic and costs most of a second at every process start.
    """
    lower = raw.hex()
    nibbles = keccak(lower.encode("ascii")).hex()[:40]
    pairs = zip(lower, nibbles, strict=True)
    mixed = "".join(c.upper() if int(n, 16) >= 8 else c for c, n in pairs)
    return ChecksumAddress(HexAddress(HexStr("0x" + mixed)))


def is_checksum_address(value: object) -> bool:
    """Whether ``value`` is a 0x-prefixed 20-byte address in its exact EIP-55 form."""
    if not isinstance(value, str) or len(value) != 42 or not value.startswith("0x"):
        return False
    try:
        raw = bytes.fromhex(value[2:])
    except ValueError:
        return False
    return len(raw) == 20 and checksum_address(raw) == value


def core_wrap_aad(core: bytes) -> bytes:
    """The Ferveo AAD for a header core (sha256 of its 168 bytes)."""
    return hashlib.sha256(core).digest()


def _is_v1(data: bytes) -> bool:
    """Whether ``data`` is framed like a DDF v1 header: magic, version 1, and a length that
    agrees with v1's core and its own wrapped-DEK length field.

    Only such a header is named as v1; a truncated or padded one stays an opaque failure, like
    any other malformed bytes (it is not an export anyone can re-seal, just junk).
    """
    if not _V1_CORE_LENGTH + _DEK_LEN.size < len(data) <= _V1_MAX_HEADER_LENGTH:
        return False
    if data[:4] != MAGIC or data[4] != V1:
        return False
    dek_length = int.from_bytes(data[_V1_CORE_LENGTH : _V1_CORE_LENGTH + _DEK_LEN.size], "big")
    return dek_length > 0 and len(data) == _V1_CORE_LENGTH + _DEK_LEN.size + dek_length


def _check_uint(name: str, value: object, limit: int) -> None:
    # bool is an int subclass; True as a chain id is a bug, not a value.
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int")
    if not 0 <= value < limit:
        raise ValueError(f"{name} is out of range")


def _check_bytes(name: str, value: object, length: int) -> None:
    if not isinstance(value, bytes):
        raise TypeError(f"{name} must be bytes")
    if len(value) != length:
        raise ValueError(f"{name} must be {length} bytes")
