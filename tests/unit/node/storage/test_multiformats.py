"""Varint, multibase and CID encoding: known answers, round trips and rejection of bad input."""

from __future__ import annotations

import hashlib
import io

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from node.storage._cid import DAG_PB, RAW, ParsedCid, parse_cid
from node.storage._multibase import b32_decode, b32_encode, b58_decode, b58_encode
from node.storage._varint import VarintError, decode_uvarint, encode_uvarint, read_uvarint
from node.storage.errors import CidMismatch, InvalidCid


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (0, "00"),
        (1, "01"),
        (127, "7f"),
        (128, "8001"),
        (255, "ff01"),
        (300, "ac02"),
        (16384, "808001"),
        (2**63 - 1, "ffffffffffffffff7f"),
    ],
)
def test_varint_known_answers(value: int, encoded: str) -> None:
    assert encode_uvarint(value).hex() == encoded
    assert decode_uvarint(bytes.fromhex(encoded)) == (value, len(encoded) // 2)


@given(st.integers(min_value=0, max_value=2**63 - 1))
def test_varint_round_trip(value: int) -> None:
    raw = encode_uvarint(value)
    assert decode_uvarint(raw + b"\xff") == (value, len(raw))
    assert read_uvarint(io.BytesIO(raw)) == value


@pytest.mark.parametrize("bad", ["80", "8000", "ff", "ffffffffffffffffff01"])
def test_varint_rejects_truncated_non_minimal_and_overlong(bad: str) -> None:
    with pytest.raises(VarintError):
        decode_uvarint(bytes.fromhex(bad))


def test_varint_out_of_range() -> None:
    with pytest.raises(ValueError, match="out of range"):
        encode_uvarint(2**63)
    with pytest.raises(ValueError, match="out of range"):
        encode_uvarint(-1)


def test_read_uvarint_distinguishes_clean_eof_from_truncation() -> None:
    assert read_uvarint(io.BytesIO(b"")) is None
    with pytest.raises(VarintError):
        read_uvarint(io.BytesIO(b"\x80"))


@given(st.binary(max_size=64))
@example(b"")
@example(b"\0\0\x01")
def test_multibase_round_trips(data: bytes) -> None:
    assert b58_decode(b58_encode(data)) == data
    assert b32_decode(b32_encode(data)) == data


def test_multibase_known_answers() -> None:
    # draft-msporny-base58 test vector; RFC 4648 §10 for base32.
    assert b58_encode(b"Hello World!") == "2NEpo7TZRRrLZSi2U"
    assert b32_encode(b"foobar") == "mzxw6ytboi"


@pytest.mark.parametrize("bad", ["0OIl", "MZXW6", "mzxw6===", "mzxw7"])
def test_multibase_rejects_bad_text(bad: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - both decoders raise plain ValueError
        b58_decode(bad) if bad == "0OIl" else b32_decode(bad)


def test_cid_known_answers() -> None:
    digest = hashlib.sha256(b"hello world").digest()
    v1 = ParsedCid.for_block(b"hello world", codec=RAW, version=1)
    assert v1.digest == digest
    assert v1.encode() == "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    assert v1.to_bytes() == bytes.fromhex("01551220") + digest
    v0 = ParsedCid(0, DAG_PB, digest)
    assert v0.to_bytes() == bytes.fromhex("1220") + digest
    assert v0.encode().startswith("Qm")
    assert v0.to_v1().encode().startswith("bafybei")


@given(st.binary(min_size=32, max_size=32), st.sampled_from([(0, DAG_PB), (1, DAG_PB), (1, RAW)]))
def test_cid_string_and_bytes_round_trip(digest: bytes, kind: tuple[int, int]) -> None:
    cid = ParsedCid(kind[0], kind[1], digest)
    assert parse_cid(cid.encode()) == cid
    assert ParsedCid.from_bytes(cid.to_bytes()) == cid
    assert parse_cid("z" + b58_encode(cid.to_v1().to_bytes())) == cid.to_v1()


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "Qm",
        "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5",  # truncated
        "BAFKREIFZJUT3TE2NHYEKKLSS27NH3K72YSCO7Y32KOAO5EEI66WOF36N5E",  # upper-case base32
        "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5eaa",  # trailing bytes
        "mAXASIA",  # base64 multibase: unsupported
        "bafyreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e",  # dag-cbor codec
        "bafkrmifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e",  # not sha2-256
    ],
)
def test_parse_cid_rejects(bad: str) -> None:
    with pytest.raises(InvalidCid):
        parse_cid(bad)


def test_verify_raises_typed_mismatch() -> None:
    cid = ParsedCid.for_block(b"a", codec=RAW, version=1)
    cid.verify(b"a")
    with pytest.raises(CidMismatch) as info:
        cid.verify(b"b")
    assert info.value.expected == cid.encode()
    assert info.value.actual == ParsedCid.for_block(b"b", codec=RAW, version=1).encode()
