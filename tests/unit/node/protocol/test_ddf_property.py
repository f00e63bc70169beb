"""Hostile DDF bytes: every reader refuses with the project's typed errors, never anything else.

Headers and sealed files arrive from untrusted storage (IPFS), wrapped keys and decryption shares
from the network. Random bytes, mutated valid headers and files, and random Ferveo payloads must
give the one opaque :class:`EnvelopeError` (shares: :class:`KeyCustodyError`), or, when the
mutation happens to leave a valid header, a header that re-encodes to the same bytes. A Rust
panic inside Ferveo (a ``BaseException``) or a ``struct.error`` counts as a crash here.
"""

from __future__ import annotations

import io

import pytest
from ddf_testing import FRAME, seal_keeping_dek
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.errors import EnvelopeError, KeyCustodyError, UnsupportedDdfVersion
from node.protocol.crypto import (
    DataKey,
    SealContext,
    SealedHeader,
    SharedSecret,
    combine_decryption_shares,
    ferveo_ciphertext_header,
    open_bytes_with_dek,
    open_sealed_bytes,
    read_header,
    unwrap_dek,
)
from node.protocol.dkg_local import LocalRitual
from node.protocol.header import CORE_LENGTH, MAX_HEADER_LENGTH, Header, checksum_address

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def opaque(call: object) -> None:
    """``call()`` fails with exactly EnvelopeError and its default message (no oracle)."""
    with pytest.raises(EnvelopeError) as info:
        call()  # type: ignore[operator]
    assert type(info.value) is EnvelopeError
    assert info.value.args == EnvelopeError().args


def decodes_or_refuses(data: bytes) -> Header | None:
    """A header that decodes is canonical: it re-encodes to exactly the input."""
    try:
        header = Header.decode(data)
    except EnvelopeError as err:
        refusal = err
    else:
        assert header.encode() == data
        return header
    if isinstance(refusal, UnsupportedDdfVersion):
        # named only for bytes that carry v1's magic and version byte
        assert data[:5] == b"DDF\x00\x01"
        return None
    assert type(refusal) is EnvelopeError
    return None


def mutate(data: bytes, draw: st.DataObject) -> bytes:
    blob = bytearray(data)
    how = draw.draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate", "extend"]))
    at = draw.draw(st.integers(0, max(0, len(blob) - 1)))
    if how == "flip" and blob:
        blob[at] ^= 1 << draw.draw(st.integers(0, 7))
    elif how == "set" and blob:
        blob[at] = draw.draw(st.integers(0, 255))
    elif how == "insert":
        blob[at:at] = draw.draw(st.binary(min_size=1, max_size=8))
    elif how == "delete":
        del blob[at : at + draw.draw(st.integers(1, 8))]
    elif how == "truncate":
        del blob[at:]
    else:
        blob += draw.draw(st.binary(min_size=1, max_size=8))
    return bytes(blob)


@pytest.fixture(scope="module")
def sealed(ritual: LocalRitual, ctx: SealContext) -> tuple[bytes, bytes, DataKey]:
    """A real three-segment sealed file, its encoded header and its data key."""
    s = seal_keeping_dek(b"x" * 150, ritual.public_key, ctx, segment_size=64)
    return s.blob, s.header.encoded, s.dek


# --- the header codec ---------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=MAX_HEADER_LENGTH + 8))
def test_random_bytes_as_a_header(data: bytes) -> None:
    decodes_or_refuses(data)


@FUZZ
@given(st.binary(min_size=CORE_LENGTH + 3, max_size=CORE_LENGTH + 40))
def test_random_bytes_behind_the_magic_and_version(tail: bytes) -> None:
    decodes_or_refuses(b"DDF\x00\x02" + tail)


@FUZZ
@given(st.binary(max_size=CORE_LENGTH + 40))
def test_random_bytes_behind_the_v1_magic_and_version(tail: bytes) -> None:
    decodes_or_refuses(b"DDF\x00\x01" + tail)


@FUZZ
@given(st.data())
def test_mutated_headers(sealed: tuple[bytes, bytes, DataKey], data: st.DataObject) -> None:
    decodes_or_refuses(mutate(sealed[1], data))


@pytest.mark.parametrize("value", [None, "DDF", 7, bytearray(300), memoryview(b"DDF\x00\x01")])
def test_a_header_that_is_not_bytes_is_refused_the_same_way(value: object) -> None:
    opaque(lambda: Header.decode(value))  # type: ignore[arg-type]


# --- framing and whole files ----------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes_as_a_sealed_file(data: bytes) -> None:
    try:
        header = read_header(io.BytesIO(data))
    except EnvelopeError as err:
        assert type(err) is EnvelopeError  # noqa: PT017 -- the exact class, not a subclass
    else:
        assert isinstance(header, SealedHeader)
    opaque(lambda: open_bytes_with_dek(data, DataKey(bytes(32)), _ctx_of(data)))


@FUZZ
@given(st.data())
def test_mutated_sealed_files_never_open_and_fail_opaquely(
    sealed: tuple[bytes, bytes, DataKey], ctx: SealContext, data: st.DataObject
) -> None:
    blob, _, dek = sealed
    assert open_bytes_with_dek(blob, dek, ctx) == b"x" * 150
    changed = mutate(blob, data)
    if changed == blob:
        return
    opaque(lambda: open_bytes_with_dek(changed, dek, ctx))
    opaque(lambda: open_sealed_bytes(changed, ctx, dek_for=lambda _h: dek))


@FEW
@given(frame=st.integers(0, (1 << 32) - 1), rest=st.binary(max_size=64))
def test_any_declared_header_length_is_bounded(frame: int, rest: bytes) -> None:
    data = frame.to_bytes(FRAME, "big") + rest
    opaque(lambda: read_header(io.BytesIO(data)))


# --- Ferveo payloads from the network -------------------------------------------------------


@FEW
@given(st.binary(min_size=1, max_size=400))
def test_random_wrapped_keys_are_refused_opaquely(
    sealed: tuple[bytes, bytes, DataKey], wrapped: bytes
) -> None:
    header = Header.decode(sealed[1])
    forged = SealedHeader.from_header(
        Header(**{**_fields(header), "wrapped_dek": wrapped})  # type: ignore[arg-type]
    )
    try:
        ferveo_ciphertext_header(forged)
    except EnvelopeError as err:
        assert type(err) is EnvelopeError  # noqa: PT017 -- the exact class, not a subclass
    opaque(lambda: unwrap_dek(forged, SharedSecret(bytes(100))))


@FEW
@given(st.lists(st.binary(max_size=300), max_size=4))
def test_random_decryption_shares_are_a_custody_error(shares: list[bytes]) -> None:
    with pytest.raises(KeyCustodyError):
        combine_decryption_shares(shares)


@FEW
@given(st.binary(max_size=300))
def test_random_shared_secrets_are_refused_opaquely(
    sealed: tuple[bytes, bytes, DataKey], secret: bytes
) -> None:
    header = SealedHeader.from_header(Header.decode(sealed[1]))
    opaque(lambda: unwrap_dek(header, SharedSecret(secret)))


def _fields(h: Header) -> dict[str, object]:
    return {name: getattr(h, name) for name in Header.__slots__}


def _ctx_of(data: bytes) -> SealContext:
    """A context to open ``data`` under: the header's own when it decodes (so the context check
    passes and the body is what fails), else any valid one."""
    try:
        h = read_header(io.BytesIO(data)).header
    except EnvelopeError:
        return SealContext(
            chain_id=1,
            registry=checksum_address(bytes(20)),
            dataset_id=0,  # type: ignore[arg-type]
            contributor=checksum_address(bytes(20)),
            ritual_id=0,  # type: ignore[arg-type]
            content_commitment=bytes(32),  # type: ignore[arg-type]
        )
    return SealContext(
        chain_id=max(1, h.chain_id),
        registry=h.registry,
        dataset_id=h.dataset_id,
        contributor=h.contributor,
        ritual_id=h.ritual_id,
        content_commitment=h.content_commitment,
    )
