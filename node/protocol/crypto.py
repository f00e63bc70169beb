"""Sealing recipe for DDF v2: encrypt a file to the DAO, open it with a threshold-recovered key.

This is the only cryptographic module application code imports (STYLE.md, "Cryptography"). It
takes no nonce, IV, algorithm or key bytes: every call to :func:`seal` draws a fresh 32-byte data
key (DEK) and nonce prefix, encrypts the body with STREAM over AES-256-GCM in 1 MiB segments,
and wraps the DEK with Ferveo to the DKG public key of the ritual named in the context
(DESIGN.md §4). Nobody, the sealer included, can open the result without ``t`` validators'
decryption shares, or the DEK they unlock.

Sealed file layout (what goes to IPFS)::

    uint32_be(len(header)) ‖ header ‖ segment_0 ‖ … ‖ segment_{n-1}

``header`` is the canonical DDF v2 header (``node.protocol.header``, byte layout documented there;
at most ``MAX_HEADER_LENGTH`` bytes); ``headerHash = keccak256(header)`` goes on chain. Each
segment is ``AES-256-GCM(DEK, nonce_i, plaintext_i, aad = sha256(header))``, exactly
``min(1 MiB, remaining) + 16`` bytes, with ``nonce_i = prefix ‖ uint32_be(i) ‖ last``; an empty
file is one 16-byte final segment. The total size is therefore known from the header alone
(:func:`sealed_size`), and nothing may follow the final segment.

Opening, in the renter's or validator's order:

1. :func:`read_header` parses the framing and header from untrusted bytes;
2. the header is checked against the expected :class:`SealContext` (and, by the caller, its
   ``header_hash`` against the chain) before anyone is asked for decryption shares;
3. :func:`ferveo_ciphertext_header` gives the Ferveo ciphertext header and AAD validators create
   shares for; :func:`combine_decryption_shares` and :func:`unwrap_dek` turn ``t`` shares into
   the :class:`DataKey`;
4. :func:`open_with_dek` streams the body out, authenticating segment by segment.

:func:`open_sealed` and :func:`open_sealed_bytes` run the whole sequence with a callback that
obtains the DEK. Every failure while opening (malformed header, unknown version, wrong context,
wrong key, tampering, truncation, reordering, trailing bytes) raises the same
:class:`~node.errors.EnvelopeError` (a well-formed DDF v1 header raises its subclass
:class:`~node.errors.UnsupportedDdfVersion`, which says to re-seal); mistakes in *sealing* inputs
raise ``TypeError`` or ``ValueError`` right away.

Streaming note: :func:`open_with_dek` writes each segment's plaintext as soon as it
authenticates, so on ``EnvelopeError`` the sink may already hold a prefix of the plaintext.
Discard it. The ``*_bytes`` variants return nothing unless the whole file opened.
"""

from __future__ import annotations

import hmac
import io
import secrets
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Final

from node.errors import EnvelopeError, KeyCustodyError
from node.protocol import _ferveo, _stream
from node.protocol._stream import Readable, Writable
from node.protocol.header import (
    MAX_HEADER_LENGTH,
    NONCE_PREFIX_LENGTH,
    Header,
    expected_segment_count,
    is_checksum_address,
)
from node.types import (
    ChecksumAddress,
    ContentCommitment,
    DatasetId,
    HeaderHash,
    RitualId,
)

__all__ = [
    "SEGMENT_SIZE",
    "DaoPublicKey",
    "DataKey",
    "DecryptionRequest",
    "Readable",
    "SealContext",
    "SealedBlob",
    "SealedHeader",
    "SharedSecret",
    "Writable",
    "combine_decryption_shares",
    "create_decryption_share",
    "ferveo_ciphertext_header",
    "open_bytes_with_dek",
    "open_sealed",
    "open_sealed_bytes",
    "open_with_dek",
    "read_header",
    "seal",
    "seal_bytes",
    "sealed_size",
    "unwrap_dek",
]

SEGMENT_SIZE: Final = 1 << 20
"""Plaintext bytes per body segment. Fixed for DDF writers."""

_DEK_LENGTH: Final = 32
_FRAME: Final = struct.Struct(">I")


@dataclass(frozen=True, slots=True)
class DaoPublicKey:
    """The DKG public key of a key ritual: what files are sealed to.

    Construction validates the bytes with Ferveo, so a ``DaoPublicKey`` that exists is usable.
    """

    key: bytes

    def __post_init__(self) -> None:
        _ferveo.check_dkg_public_key(self.key)

    def __bytes__(self) -> bytes:
        return self.key


class DataKey:
    """A file's 32-byte data key. Never printed, never pickled, compared in constant time.

    Sealing draws a fresh one internally; openers get one from :func:`unwrap_dek`. Building one
    from bytes exists for key custody and known-answer tests, not for sealing (which takes none).
    """

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes):
            raise TypeError("a DataKey is built from bytes")
        if len(secret) != _DEK_LENGTH:
            raise ValueError("a DataKey is 32 bytes")
        self._secret = secret

    def __repr__(self) -> str:
        return "DataKey(<redacted>)"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DataKey):
            return NotImplemented
        return hmac.compare_digest(self._secret, other._secret)

    __hash__ = None  # type: ignore[assignment]  # a secret should not become a dict key

    def __reduce__(self) -> str:
        raise TypeError("DataKey cannot be pickled")


@dataclass(frozen=True, slots=True)
class SealContext:
    """What a sealed file is bound to. Opening under any other context fails.

    Every field goes into the header; the header core (all of it but the wrapped key) is the
    Ferveo AAD and the whole header is the body AAD, so changing any field breaks both.
    ``contributor`` is the address that signs the submission (the zero address for a dataset's
    validation set); the file id is derived from it and the header hash after sealing
    (:func:`node.protocol.ids.submission_file_id`), so it is not part of the context.
    """

    chain_id: int
    registry: ChecksumAddress
    dataset_id: DatasetId
    contributor: ChecksumAddress
    ritual_id: RitualId
    content_commitment: ContentCommitment

    def __post_init__(self) -> None:
        for name, value, bits in (
            ("chain_id", self.chain_id, 256),
            ("dataset_id", self.dataset_id, 256),
            ("ritual_id", self.ritual_id, 32),
        ):
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int")
            if not 0 <= value < 1 << bits:
                raise ValueError(f"{name} must fit in uint{bits}")
        if self.chain_id == 0:
            raise ValueError("chain_id must be positive")
        if not is_checksum_address(self.registry):
            raise ValueError("registry must be an EIP-55 checksum address")
        if not is_checksum_address(self.contributor):
            raise ValueError("contributor must be an EIP-55 checksum address")
        if not isinstance(self.content_commitment, bytes):
            raise TypeError("content_commitment must be bytes")
        if len(self.content_commitment) != 32:
            raise ValueError("content_commitment must be 32 bytes")

    def matches(self, header: Header) -> bool:
        """Whether ``header`` was sealed under this context."""
        return (
            header.chain_id == self.chain_id
            and header.registry == self.registry
            and header.dataset_id == self.dataset_id
            and header.contributor == self.contributor
            and header.ritual_id == self.ritual_id
            and header.content_commitment == self.content_commitment
        )


@dataclass(frozen=True, slots=True)
class SealedHeader:
    """A parsed header with its canonical bytes and on-chain hash."""

    header: Header
    encoded: bytes
    header_hash: HeaderHash

    @classmethod
    def from_header(cls, header: Header) -> SealedHeader:
        return cls(header=header, encoded=header.encode(), header_hash=header.header_hash())

    @property
    def body_length(self) -> int:
        """Bytes of ciphertext that follow the header."""
        h = self.header
        return h.plaintext_length + h.segment_count * _stream.TAG_LENGTH

    @property
    def sealed_length(self) -> int:
        """Bytes of the whole sealed file: frame, header and body."""
        return _FRAME.size + len(self.encoded) + self.body_length


@dataclass(frozen=True, slots=True)
class SealedBlob:
    """A whole sealed file in memory (for small files; stream large ones with :func:`seal`)."""

    header: SealedHeader
    data: bytes

    @property
    def header_hash(self) -> HeaderHash:
        return self.header.header_hash


@dataclass(frozen=True, slots=True)
class DecryptionRequest:
    """What a validator creates a decryption share for: the Ferveo ciphertext header and AAD.

    ``ciphertext_header`` is the ``nucypher_core.ferveo.CiphertextHeader`` object, ready for
    ``AggregatedTranscript.create_decryption_share_simple``; ``ciphertext_header_bytes`` is its
    serialization for the wire.
    """

    ciphertext_header: object
    ciphertext_header_bytes: bytes
    aad: bytes


class SharedSecret:
    """A Ferveo shared secret combined from ``t`` decryption shares. Unlocks one file's DEK."""

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes):
            raise TypeError("a SharedSecret is built from serialized Ferveo bytes")
        self._secret = secret

    def __repr__(self) -> str:
        return "SharedSecret(<redacted>)"

    def __bytes__(self) -> bytes:
        return self._secret


def sealed_size(plaintext_length: int, *, header_length: int) -> int:
    """Size of a sealed file for a plaintext length and an encoded header length."""
    count = expected_segment_count(plaintext_length, SEGMENT_SIZE)
    return _FRAME.size + header_length + plaintext_length + count * _stream.TAG_LENGTH


# --------------------------------------------------------------------------------------------
# Sealing


def seal(
    plaintext: bytes | Readable,
    dao_key: DaoPublicKey,
    ctx: SealContext,
    *,
    out: Writable,
    length: int | None = None,
) -> SealedHeader:
    """Encrypt ``plaintext`` to the DAO key, writing the sealed file to ``out`` as it goes.

    A fresh data key and nonce prefix are drawn for every call. Segments are sealed on up to
    three threads (AES-GCM releases the GIL) while this thread reads and writes in order, so
    memory stays at most eight 1 MiB buffers whatever the input size.

    Args:
        plaintext: the bytes, or a binary stream positioned at the start of the data.
        dao_key: the DKG public key of the ritual ``ctx.ritual_id`` (read both from the
            coordinator together: Ferveo does not bind the ritual id into the ciphertext, so a
            key from another ritual seals fine and is then opened only by that ritual's
            committee, not the one the header names).
        ctx: what the file is bound to.
        out: where the sealed file is written (it must copy what it is given, as files do).
        length: plaintext length; required only for a stream that cannot seek (the header,
            written first, records the length).

    Returns:
        The header, its canonical bytes and ``header_hash`` (for the on-chain submission).

    Raises:
        TypeError, ValueError: bad arguments, or a stream shorter or longer than ``length``.
    """
    return _seal(
        plaintext,
        dao_key,
        ctx,
        out=out,
        length=length,
        segment_size=SEGMENT_SIZE,
        randbytes=secrets.token_bytes,
        threads=None,
    )


def seal_bytes(plaintext: bytes, dao_key: DaoPublicKey, ctx: SealContext) -> SealedBlob:
    """Seal an in-memory plaintext; returns the whole sealed file. See :func:`seal`."""
    if not isinstance(plaintext, bytes):
        raise TypeError("plaintext must be bytes")
    buf = io.BytesIO()
    header = seal(plaintext, dao_key, ctx, out=buf)
    return SealedBlob(header=header, data=buf.getvalue())


def _seal(
    plaintext: bytes | Readable,
    dao_key: DaoPublicKey,
    ctx: SealContext,
    *,
    out: Writable,
    length: int | None,
    segment_size: int,
    randbytes: Callable[[int], bytes],
    threads: int | None,
) -> SealedHeader:
    """The sealing recipe with its test hooks exposed. Hazardous; tests, vectors, benchmarks.

    ``segment_size`` lets tests cover many segments with small inputs; ``randbytes`` lets
    ``scripts/gen_vectors.py`` record the DEK of a known-answer vector (a repeating
    ``randbytes`` reuses a (key, nonce) pair and destroys the body's confidentiality);
    ``threads`` (None: one per CPU, at most 3) lets the benchmark compare pipelining.
    """
    if not isinstance(dao_key, DaoPublicKey):
        raise TypeError("dao_key must be a DaoPublicKey")
    if not isinstance(ctx, SealContext):
        raise TypeError("ctx must be a SealContext")
    source, plaintext_length = _source_and_length(plaintext, length)

    dek = randbytes(_DEK_LENGTH)
    prefix = randbytes(NONCE_PREFIX_LENGTH)
    # The wrapped DEK is computed over the core, which does not contain it; a one-byte
    # placeholder lets the Header validate every other field before anything is encrypted.
    draft = Header(
        chain_id=ctx.chain_id,
        registry=ctx.registry,
        dataset_id=ctx.dataset_id,
        contributor=ctx.contributor,
        ritual_id=ctx.ritual_id,
        nonce_prefix=prefix,
        segment_size=segment_size,
        segment_count=expected_segment_count(plaintext_length, segment_size),
        plaintext_length=plaintext_length,
        content_commitment=ctx.content_commitment,
        wrapped_dek=b"\x00",
    )
    wrapped = _ferveo.encrypt(dek, draft.wrap_aad(), dao_key.key)
    sealed = SealedHeader.from_header(replace(draft, wrapped_dek=wrapped))

    out.write(_FRAME.pack(len(sealed.encoded)))
    out.write(sealed.encoded)
    _stream.encrypt(
        key=dek,
        nonce_prefix=prefix,
        aad=sealed.header.body_aad(),
        source=source,
        plaintext_length=plaintext_length,
        segment_size=segment_size,
        sink=out,
        threads=_stream.default_threads() if threads is None else threads,
    )
    return sealed


def _source_and_length(plaintext: bytes | Readable, length: int | None) -> tuple[Readable, int]:
    if length is not None and (
        not isinstance(length, int) or isinstance(length, bool) or length < 0
    ):
        raise ValueError("length must be a non-negative int")
    if isinstance(plaintext, bytes | bytearray | memoryview):
        data = bytes(plaintext)
        if length is not None and length != len(data):
            raise ValueError("length does not match the plaintext")
        return io.BytesIO(data), len(data)
    if not callable(getattr(plaintext, "read", None)):
        raise TypeError("plaintext must be bytes or a binary stream")
    if length is not None:
        return plaintext, length
    seekable = getattr(plaintext, "seekable", None)
    if seekable is None or not seekable():
        raise ValueError("length is required for a stream that cannot seek")
    start = plaintext.tell()  # type: ignore[attr-defined]
    end = plaintext.seek(0, io.SEEK_END)  # type: ignore[attr-defined]
    plaintext.seek(start)  # type: ignore[attr-defined]
    return plaintext, int(end - start)


# --------------------------------------------------------------------------------------------
# Opening


def read_header(source: Readable) -> SealedHeader:
    """Read the frame and header from the start of a sealed file; leaves ``source`` at the body.

    Raises:
        UnsupportedDdfVersion: a DDF v1 file (an ``EnvelopeError`` that says to re-seal).
        EnvelopeError: not a DDF v2 file, or a malformed header.
    """
    frame = _stream.read_exactly(source, _FRAME.size)
    if len(frame) != _FRAME.size:
        raise EnvelopeError
    (header_length,) = _FRAME.unpack(frame)
    if not 0 < header_length <= MAX_HEADER_LENGTH:
        raise EnvelopeError
    encoded = _stream.read_exactly(source, header_length)
    if len(encoded) != header_length:
        raise EnvelopeError
    return SealedHeader.from_header(Header.decode(encoded))


def open_with_dek(
    header: SealedHeader,
    body: Readable,
    dek: DataKey,
    ctx: SealContext,
    *,
    out: Writable,
) -> int:
    """Decrypt the body that follows ``header`` with an already recovered data key.

    Args:
        header: from :func:`read_header` on the same file.
        body: the stream positioned just after the header.
        dek: the file's data key (from :func:`unwrap_dek`).
        ctx: the context the caller expects; a header sealed under another one is refused.
        out: receives the plaintext segment by segment (discard it on error).

    Returns:
        The number of plaintext bytes written.

    Raises:
        EnvelopeError: wrong context, wrong key, tampering, truncation, reordering or trailing
            data; never says which.
    """
    if not isinstance(dek, DataKey) or not isinstance(ctx, SealContext):
        raise TypeError("dek must be a DataKey and ctx a SealContext")
    h = header.header
    if not ctx.matches(h):
        raise EnvelopeError
    return _stream.decrypt(
        key=dek._secret,
        nonce_prefix=h.nonce_prefix,
        aad=h.body_aad(),
        source=body,
        plaintext_length=h.plaintext_length,
        segment_size=h.segment_size,
        sink=out,
        threads=_stream.default_threads(),
    )


def open_bytes_with_dek(blob: bytes, dek: DataKey, ctx: SealContext) -> bytes:
    """Open a whole sealed file held in memory; returns the plaintext only if all of it opens."""
    source = io.BytesIO(blob)
    header = read_header(source)
    out = io.BytesIO()
    open_with_dek(header, source, dek, ctx, out=out)
    return out.getvalue()


def ferveo_ciphertext_header(header: SealedHeader) -> DecryptionRequest:
    """The Ferveo ciphertext header and AAD that validators create decryption shares for.

    Raises:
        EnvelopeError: the wrapped key in the header is not a Ferveo ciphertext.
    """
    try:
        ct_header, ct_header_bytes = _ferveo.ciphertext_header(header.header.wrapped_dek)
    except _ferveo.FerveoError:
        raise EnvelopeError from None
    return DecryptionRequest(
        ciphertext_header=ct_header,
        ciphertext_header_bytes=ct_header_bytes,
        aad=header.header.wrap_aad(),
    )


def create_decryption_share(
    request: DecryptionRequest, *, aggregate: object, dkg: object, keypair: object
) -> bytes:
    """A validator's decryption share for ``request``, serialized for the wire.

    ``aggregate`` (``ferveo.AggregatedTranscript``), ``dkg`` (the validator's ``ferveo.Dkg``
    for the ritual) and ``keypair`` (its ``ferveo.Keypair``) are the validator's ritual
    material. Call it only after checking, on your own RPC, that the header's hash is the one
    registered on chain and that the requester is entitled (DESIGN.md §3 steps 6 and 9).

    Raises:
        EnvelopeError: the wrapped key does not verify against the header's AAD (a malformed or
            tampered header); Ferveo panics on this, and the panic is contained here.
    """
    try:
        return _ferveo.create_decryption_share_simple(
            aggregate=aggregate,
            dkg=dkg,
            ciphertext_header=request.ciphertext_header,
            aad=request.aad,
            keypair=keypair,
        )
    except _ferveo.FerveoError:
        raise EnvelopeError from None


def combine_decryption_shares(shares: Sequence[bytes]) -> SharedSecret:
    """Combine ``t`` serialized ``DecryptionShareSimple`` values into the file's shared secret.

    Shares are not verified here (Ferveo's simple variant cannot); a bad one makes
    :func:`unwrap_dek` fail.

    Raises:
        KeyCustodyError: no shares, or a share that is not a serialized decryption share.
    """
    try:
        return SharedSecret(_ferveo.combine_decryption_shares(list(shares)))
    except _ferveo.FerveoError:
        raise KeyCustodyError("decryption shares could not be combined") from None


def unwrap_dek(header: SealedHeader, shared_secret: SharedSecret) -> DataKey:
    """Recover the file's data key from the combined shared secret.

    Raises:
        EnvelopeError: the secret does not open this header's wrapped key (wrong or too few
            shares, another file's shares, a tampered header).
    """
    try:
        dek = _ferveo.decrypt_with_shared_secret(
            header.header.wrapped_dek, header.header.wrap_aad(), bytes(shared_secret)
        )
    except _ferveo.FerveoError:
        raise EnvelopeError from None
    if len(dek) != _DEK_LENGTH:
        raise EnvelopeError
    return DataKey(dek)


def open_sealed(
    source: Readable,
    ctx: SealContext,
    *,
    dek_for: Callable[[SealedHeader], DataKey],
    out: Writable,
    expected_header_hash: HeaderHash | None = None,
) -> SealedHeader:
    """Open a sealed file end to end: header, context check, DEK via ``dek_for``, body.

    ``dek_for`` is where threshold decryption happens (gather ``t`` shares for
    :func:`ferveo_ciphertext_header`, then :func:`combine_decryption_shares` and
    :func:`unwrap_dek`); it is called only after the header matched ``ctx`` and, when given,
    ``expected_header_hash`` (the one registered on chain), so no share is requested for a file
    that would be refused anyway.

    Returns:
        The file's header.

    Raises:
        EnvelopeError: any failure to open (see :func:`open_with_dek`).
    """
    header = read_header(source)
    if expected_header_hash is not None and not hmac.compare_digest(
        header.header_hash, expected_header_hash
    ):
        raise EnvelopeError
    if not ctx.matches(header.header):
        raise EnvelopeError
    open_with_dek(header, source, dek_for(header), ctx, out=out)
    return header


def open_sealed_bytes(
    blob: bytes,
    ctx: SealContext,
    *,
    dek_for: Callable[[SealedHeader], DataKey],
    expected_header_hash: HeaderHash | None = None,
) -> bytes:
    """:func:`open_sealed` for a file held in memory; returns the plaintext only on success."""
    out = io.BytesIO()
    open_sealed(
        io.BytesIO(blob),
        ctx,
        dek_for=dek_for,
        out=out,
        expected_header_hash=expected_header_hash,
    )
    return out.getvalue()
