"""The DDF v1 header codec: documented byte layout, canonical round trips, strict decoding."""

from __future__ import annotations

import hashlib
import struct

import pytest
from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from node.errors import EnvelopeError
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
from node.types import ContentCommitment, DatasetId, FileId, RitualId

REGISTRY = to_checksum_address("0x5fbdb2315678afecb367f032d93f642f64180aa3")


def make_header(**changes: object) -> Header:
    fields: dict[str, object] = {
        "chain_id": 31337,
        "registry": REGISTRY,
        "dataset_id": DatasetId(1),
        "file_id": FileId(b"\x11" * 32),
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
    assert CORE_LENGTH == 180
    assert len(b) == 180 + 2 + 216
    assert b[0:4] == MAGIC == b"DDF\x00"
    assert b[4] == 1
    assert b[5:37] == (0x0102).to_bytes(32, "big")
    assert b[37:57] == bytes.fromhex(REGISTRY[2:])
    assert b[57:89] == (0x0304).to_bytes(32, "big")
    assert b[89:121] == b"\x11" * 32
    assert b[121:125] == (0x0506).to_bytes(4, "big")
    assert b[125:132] == b"\x22" * 7
    assert b[132:136] == (1 << 20).to_bytes(4, "big")
    assert b[136:140] == (3).to_bytes(4, "big")
    assert b[140:148] == (2 * (1 << 20) + 5).to_bytes(8, "big")
    assert b[148:180] == b"\x33" * 32
    assert b[180:182] == (216).to_bytes(2, "big")
    assert b[182:] == b"\x44" * 216
    assert h.core() == b[:180]


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
        file_id=draw(st.binary(min_size=32, max_size=32)),
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


@pytest.mark.parametrize("version", [0, 2, 0x80, 0xFF])
def test_unknown_version_fails_closed(version: int) -> None:
    b = bytearray(make_header().encode())
    b[4] = version
    with pytest.raises(EnvelopeError):
        Header.decode(bytes(b))


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda b: b"DDF\x01" + b[4:], id="magic"),
        pytest.param(lambda b: b[:-1], id="short-wrapped-dek"),
        pytest.param(lambda b: b + b"\x00", id="trailing-byte"),
        pytest.param(lambda b: b[:CORE_LENGTH], id="core-only"),
        pytest.param(lambda b: b[:CORE_LENGTH] + b"\x00\x00", id="empty-wrapped-dek"),
        pytest.param(lambda b: b"", id="empty"),
        pytest.param(lambda b: _patch(b, 132, struct.pack(">I", 0)), id="segment-size-0"),
        pytest.param(
            lambda b: _patch(b, 132, struct.pack(">I", MAX_SEGMENT_SIZE + 1)), id="segment-too-big"
        ),
        pytest.param(lambda b: _patch(b, 136, struct.pack(">I", 4)), id="count-vs-length"),
        pytest.param(lambda b: _patch(b, 136, struct.pack(">I", 0)), id="count-0"),
        pytest.param(lambda b: _patch(b, 140, struct.pack(">Q", 5)), id="length-vs-count"),
    ],
)
def test_malformed_headers_are_refused(mutate: object) -> None:
    b = make_header().encode()
    with pytest.raises(EnvelopeError):
        Header.decode(mutate(b))  # type: ignore[operator]


def test_oversized_input_is_refused_before_parsing() -> None:
    h = make_header(wrapped_dek=b"\x01" * 1024)
    assert len(h.encode()) == MAX_HEADER_LENGTH
    Header.decode(h.encode())
    with pytest.raises(EnvelopeError):
        Header.decode(h.encode() + b"\x00")


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
        ({"file_id": b"\x00" * 31}, ValueError),
        ({"file_id": "00" * 32}, TypeError),
        ({"ritual_id": 2**32}, ValueError),
        ({"nonce_prefix": b"\x00" * 8}, ValueError),
        ({"segment_size": 0, "segment_count": 1}, ValueError),
        ({"segment_count": 2}, ValueError),
        ({"wrapped_dek": b""}, ValueError),
        ({"wrapped_dek": b"\x00" * 1025}, ValueError),
        ({"version": 2}, ValueError),
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
