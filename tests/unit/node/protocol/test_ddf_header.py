"""The DDF v2 header codec: documented byte layout, canonical round trips, strict decoding,
and v1 headers refused with a message that says what to do."""

from __future__ import annotations

import hashlib
import struct

import pytest
from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from node.errors import EnvelopeError, UnsupportedDdfVersion
from node.protocol.header import (
    CORE_LENGTH,
    MAGIC,
    MAX_HEADER_LENGTH,
    MAX_SEGMENT_SIZE,
    MAX_SEGMENTS,
    Header,
    checksum_address,
    expected_segment_count,
    is_checksum_address,
)
from node.types import ContentCommitment, DatasetId, RitualId

REGISTRY = to_checksum_address("0x5fbdb2315678afecb367f032d93f642f64180aa3")
CONTRIBUTOR = to_checksum_address("0x" + "11" * 20)
V1_MESSAGE = "this is a DDF v1 file; protocol v2 refuses it: re-seal the export with this node"


def make_header(**changes: object) -> Header:
    fields: dict[str, object] = {
        "chain_id": 31337,
        "registry": REGISTRY,
        "dataset_id": DatasetId(1),
        "contributor": CONTRIBUTOR,
        "ritual_id": RitualId(7),
        "nonce_prefix": b"\x22" * 7,
        "segment_size": 1 << 20,
        "segment_count": 3,
        "plaintext_length": 2 * (1 << 20) + 5,
        "content_commitment": ContentCommitment(b"\x33" * 32),
        "wrapped_dek": b"\x44" * 216,
    }
    fields.update(changes)
    return Header(**fields)  # type: ignore[arg-type]


def test_layout_matches_the_documented_offsets() -> None:
    h = make_header(chain_id=0x0102, dataset_id=DatasetId(0x0304), ritual_id=RitualId(0x0506))
    b = h.encode()
    assert CORE_LENGTH == 168
    assert len(b) == 168 + 2 + 216
    assert b[0:4] == MAGIC == b"DDF\x00"
    assert b[4] == 2
    assert b[5:37] == (0x0102).to_bytes(32, "big")
    assert b[37:57] == bytes.fromhex(REGISTRY[2:])
    assert b[57:89] == (0x0304).to_bytes(32, "big")
    assert b[89:109] == b"\x11" * 20
    assert b[109:113] == (0x0506).to_bytes(4, "big")
    assert b[113:120] == b"\x22" * 7
    assert b[120:124] == (1 << 20).to_bytes(4, "big")
    assert b[124:128] == (3).to_bytes(4, "big")
    assert b[128:136] == (2 * (1 << 20) + 5).to_bytes(8, "big")
    assert b[136:168] == b"\x33" * 32
    assert b[168:170] == (216).to_bytes(2, "big")
    assert b[170:] == b"\x44" * 216
    assert h.core() == b[:168]


def test_hashes_are_the_documented_ones() -> None:
    h = make_header()
    b = h.encode()
    assert h.header_hash() == keccak(b)
    assert h.body_aad() == hashlib.sha256(b).digest()
    assert h.wrap_aad() == hashlib.sha256(b[:CORE_LENGTH]).digest()


@st.composite
def headers(draw: st.DrawFn) -> Header:
    seg = draw(st.integers(1, MAX_SEGMENT_SIZE))
    length = draw(st.integers(0, min(2**64 - 1, seg * MAX_SEGMENTS)))
    return make_header(
        chain_id=draw(st.integers(0, 2**256 - 1)),
        dataset_id=draw(st.integers(0, 2**256 - 1)),
        contributor=checksum_address(draw(st.binary(min_size=20, max_size=20))),
        ritual_id=draw(st.integers(0, 2**32 - 1)),
        nonce_prefix=draw(st.binary(min_size=7, max_size=7)),
        segment_size=seg,
        segment_count=expected_segment_count(length, seg),
        plaintext_length=length,
        content_commitment=draw(st.binary(min_size=32, max_size=32)),
        wrapped_dek=draw(st.binary(min_size=1, max_size=1024)),
    )


@given(headers())
def test_decode_inverts_encode(h: Header) -> None:
    b = h.encode()
    assert Header.decode(b) == h
    assert Header.decode(b).encode() == b


@pytest.mark.parametrize("version", [0, 1, 3, 0x80, 0xFF])
def test_unknown_version_fails_closed(version: int) -> None:
    # A v2 header relabelled with another version (v1 included) is junk, not a v1 file: the
    # length does not fit v1's layout, so the failure stays opaque.
    b = bytearray(make_header().encode())
    b[4] = version
    with pytest.raises(EnvelopeError) as err:
        Header.decode(bytes(b))
    assert type(err.value) is EnvelopeError
    assert str(err.value) == "sealed data could not be opened"


def v1_header(dek: bytes = b"\x44" * 216, version: int = 1) -> bytes:
    """A DDF v1 header, laid out by hand from v1's documented offsets (180-byte core with a
    32-byte file id), independently of the codec under test."""
    core = struct.pack(
        ">4sB32s20s32s32sI7sIIQ32s",
        b"DDF\x00",
        version,
        (31337).to_bytes(32, "big"),
        bytes.fromhex(REGISTRY[2:]),
        (1).to_bytes(32, "big"),
        b"\x11" * 32,
        7,
        b"\x22" * 7,
        1 << 20,
        1,
        5,
        b"\x33" * 32,
    )
    assert len(core) == 180
    return core + struct.pack(">H", len(dek)) + dek


@pytest.mark.parametrize("dek", [b"\x44" * 216, b"\x01", b"\x02" * 1024], ids=len)
def test_a_v1_header_is_refused_with_the_reseal_message(dek: bytes) -> None:
    with pytest.raises(UnsupportedDdfVersion) as err:
        Header.decode(v1_header(dek))
    assert isinstance(err.value, EnvelopeError)  # callers that catch EnvelopeError still do
    assert str(err.value) == V1_MESSAGE


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda b: b[:-1], id="truncated"),
        pytest.param(lambda b: b + b"\x00", id="trailing-byte"),
        pytest.param(lambda b: b[:180], id="core-only"),
        pytest.param(lambda b: b[:180] + b"\x00\x00", id="empty-wrapped-dek"),
        pytest.param(lambda b: b"DDF\x01" + b[4:], id="magic"),
        pytest.param(lambda b: b[:5], id="magic-and-version-only"),
    ],
)
def test_a_malformed_v1_header_stays_opaque(mutate: object) -> None:
    with pytest.raises(EnvelopeError) as err:
        Header.decode(mutate(v1_header()))  # type: ignore[operator]
    assert type(err.value) is EnvelopeError


def test_an_oversized_v1_header_stays_opaque() -> None:
    b = v1_header(b"\x02" * 1025)
    with pytest.raises(EnvelopeError) as err:
        Header.decode(b)
    assert type(err.value) is EnvelopeError


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda b: b"DDF\x01" + b[4:], id="magic"),
        pytest.param(lambda b: b[:-1], id="short-wrapped-dek"),
        pytest.param(lambda b: b + b"\x00", id="trailing-byte"),
        pytest.param(lambda b: b[:CORE_LENGTH], id="core-only"),
        pytest.param(lambda b: b[:CORE_LENGTH] + b"\x00\x00", id="empty-wrapped-dek"),
        pytest.param(lambda b: b"", id="empty"),
        pytest.param(lambda b: b[:4], id="magic-only"),
        pytest.param(lambda b: b[: CORE_LENGTH - 1], id="truncated-core"),
        pytest.param(lambda b: _patch(b, 120, struct.pack(">I", 0)), id="segment-size-0"),
        pytest.param(
            lambda b: _patch(b, 120, struct.pack(">I", MAX_SEGMENT_SIZE + 1)), id="segment-too-big"
        ),
        pytest.param(lambda b: _patch(b, 124, struct.pack(">I", 4)), id="count-vs-length"),
        pytest.param(lambda b: _patch(b, 124, struct.pack(">I", 0)), id="count-0"),
        pytest.param(lambda b: _patch(b, 128, struct.pack(">Q", 5)), id="length-vs-count"),
        pytest.param(lambda b: _patch(b, 168, struct.pack(">H", 217)), id="dek-length-too-big"),
    ],
)
def test_malformed_headers_are_refused(mutate: object) -> None:
    b = make_header().encode()
    with pytest.raises(EnvelopeError) as err:
        Header.decode(mutate(b))  # type: ignore[operator]
    assert type(err.value) is EnvelopeError  # opaque: never the v1 subclass


def test_oversized_input_is_refused_before_parsing() -> None:
    h = make_header(wrapped_dek=b"\x01" * 1024)
    assert len(h.encode()) == MAX_HEADER_LENGTH == 168 + 2 + 1024
    Header.decode(h.encode())
    with pytest.raises(EnvelopeError) as err:
        Header.decode(h.encode() + b"\x00")
    assert type(err.value) is EnvelopeError
    with pytest.raises(EnvelopeError):
        Header.decode(bytearray(h.encode()))  # type: ignore[arg-type]


def test_empty_plaintext_is_one_segment() -> None:
    assert expected_segment_count(0, 1 << 20) == 1
    assert expected_segment_count(1, 1 << 20) == 1
    assert expected_segment_count(1 << 20, 1 << 20) == 1
    assert expected_segment_count((1 << 20) + 1, 1 << 20) == 2


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"chain_id": True}, TypeError),
        ({"chain_id": -1}, ValueError),
        ({"chain_id": 2**256}, ValueError),
        ({"registry": REGISTRY.lower()}, ValueError),
        ({"contributor": CONTRIBUTOR.lower().replace("0x11", "0xaa")}, ValueError),
        ({"contributor": "0x" + "11" * 19}, ValueError),
        ({"contributor": b"\x11" * 20}, ValueError),
        ({"ritual_id": 2**32}, ValueError),
        ({"nonce_prefix": b"\x00" * 8}, ValueError),
        ({"segment_size": 0, "segment_count": 1}, ValueError),
        ({"segment_count": 2}, ValueError),
        ({"wrapped_dek": b""}, ValueError),
        ({"wrapped_dek": b"\x00" * 1025}, ValueError),
        ({"version": 1}, ValueError),
        ({"version": 3}, ValueError),
    ],
)
def test_building_a_bad_header_fails_eagerly(changes: dict[str, object], error: type) -> None:
    with pytest.raises(error):
        make_header(**changes)


def test_too_many_segments_cannot_be_described() -> None:
    # 2**32 one-byte segments would need index 2**32, which wraps the uint32 in the nonce.
    with pytest.raises(ValueError, match="segment"):
        make_header(segment_size=1, plaintext_length=2**32, segment_count=2**32)
    ok = make_header(segment_size=1, plaintext_length=2**32 - 1, segment_count=2**32 - 1)
    assert Header.decode(ok.encode()) == ok


def _patch(b: bytes, offset: int, value: bytes) -> bytes:
    return b[:offset] + value + b[offset + len(value) :]


@given(st.binary(min_size=20, max_size=20))
def test_checksum_address_agrees_with_eth_utils(raw: bytes) -> None:
    expected = to_checksum_address(raw)
    assert checksum_address(raw) == expected
    assert is_checksum_address(expected)
    assert not is_checksum_address(expected.lower()) or expected == expected.lower()
    assert not is_checksum_address(expected[2:])
    assert not is_checksum_address(expected + "0")


def test_the_contributor_round_trips_and_the_zero_address_is_allowed() -> None:
    zero = checksum_address(bytes(20))
    h = make_header(contributor=zero)
    assert Header.decode(h.encode()).contributor == zero == "0x" + "00" * 20
    other = make_header(contributor=to_checksum_address("0x" + "ab" * 20))
    assert other.header_hash() != make_header().header_hash()
