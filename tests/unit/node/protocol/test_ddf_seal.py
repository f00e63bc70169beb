"""The sealing recipe end to end with a real 3-of-4 Ferveo ritual: round trips, API contract,
threshold behaviour. Tamper properties live in test_ddf_tamper.py."""

from __future__ import annotations

import io
import os
import pickle
from dataclasses import replace
from itertools import combinations
from pathlib import Path

import pytest

from node.errors import EnvelopeError, KeyCustodyError
from node.protocol.crypto import (
    SEGMENT_SIZE,
    DaoPublicKey,
    DataKey,
    SealContext,
    SealedHeader,
    SharedSecret,
    combine_decryption_shares,
    ferveo_ciphertext_header,
    open_bytes_with_dek,
    open_sealed,
    open_sealed_bytes,
    open_with_dek,
    read_header,
    seal,
    seal_bytes,
    sealed_size,
    unwrap_dek,
)
from node.protocol.dkg_local import LocalRitual, run_local_ritual
from node.protocol.header import checksum_address
from node.types import HeaderHash

SIZES = [0, 1, SEGMENT_SIZE - 1, SEGMENT_SIZE, SEGMENT_SIZE + 1, 3 * SEGMENT_SIZE + 5]


@pytest.mark.parametrize("size", SIZES)
def test_round_trip_through_threshold_decryption(
    size: int, ritual: LocalRitual, ctx: SealContext
) -> None:
    plaintext = os.urandom(size)
    sealed = seal_bytes(plaintext, ritual.public_key, ctx)

    h = sealed.header.header
    assert h.segment_size == SEGMENT_SIZE
    assert h.segment_count == max(1, -(-size // SEGMENT_SIZE))
    assert h.plaintext_length == size
    assert len(sealed.data) == sealed.header.sealed_length
    assert len(sealed.data) == sealed_size(size, header_length=len(sealed.header.encoded))
    assert open_sealed_bytes(sealed.data, ctx, dek_for=ritual.decrypt) == plaintext


def test_header_records_the_context(ritual: LocalRitual, ctx: SealContext) -> None:
    sealed = seal_bytes(b"x", ritual.public_key, ctx)
    h = sealed.header.header
    assert (h.chain_id, h.registry, h.dataset_id, h.contributor, h.ritual_id) == (
        ctx.chain_id,
        ctx.registry,
        ctx.dataset_id,
        ctx.contributor,
        ctx.ritual_id,
    )
    assert h.content_commitment == ctx.content_commitment
    assert sealed.header_hash == h.header_hash()
    assert read_header(io.BytesIO(sealed.data)) == sealed.header


def test_every_seal_draws_a_fresh_key_and_prefix(ritual: LocalRitual, ctx: SealContext) -> None:
    a = seal_bytes(b"same plaintext", ritual.public_key, ctx)
    b = seal_bytes(b"same plaintext", ritual.public_key, ctx)
    assert a.header.header.nonce_prefix != b.header.header.nonce_prefix
    assert a.header.header.wrapped_dek != b.header.header.wrapped_dek
    assert a.header_hash != b.header_hash
    assert ritual.decrypt(a.header) != ritual.decrypt(b.header)


def test_streams_from_a_file_to_a_file(
    tmp_path: Path, ritual: LocalRitual, ctx: SealContext
) -> None:
    plain_path, sealed_path, out_path = tmp_path / "p", tmp_path / "s", tmp_path / "o"
    plain_path.write_bytes(os.urandom(2 * SEGMENT_SIZE + 17))
    with plain_path.open("rb") as src, sealed_path.open("wb") as dst:
        header = seal(src, ritual.public_key, ctx, out=dst)  # length found by seeking
    assert sealed_path.stat().st_size == header.sealed_length

    with sealed_path.open("rb") as src, out_path.open("wb") as dst:
        opened = open_sealed(src, ctx, dek_for=ritual.decrypt, out=dst)
    assert opened == header
    assert out_path.read_bytes() == plain_path.read_bytes()


class _Unseekable(io.RawIOBase):
    """A pipe-like source: read() only."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        return self._inner.readinto(b)


def test_unseekable_stream_needs_its_length(ritual: LocalRitual, ctx: SealContext) -> None:
    data = os.urandom(1000)
    with pytest.raises(ValueError, match="length"):
        seal(_Unseekable(data), ritual.public_key, ctx, out=io.BytesIO())

    out = io.BytesIO()
    seal(_Unseekable(data), ritual.public_key, ctx, out=out, length=len(data))
    assert open_sealed_bytes(out.getvalue(), ctx, dek_for=ritual.decrypt) == data


@pytest.mark.parametrize("declared", [999, 1001])
def test_stream_that_disagrees_with_its_length_is_a_caller_bug(
    declared: int, ritual: LocalRitual, ctx: SealContext
) -> None:
    with pytest.raises(ValueError, match="declared plaintext length"):
        seal(_Unseekable(b"\x00" * 1000), ritual.public_key, ctx, out=io.BytesIO(), length=declared)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        pytest.param({"plaintext": "text"}, TypeError, id="str-plaintext"),
        pytest.param({"plaintext": 5}, TypeError, id="int-plaintext"),
        pytest.param({"dao_key": b"\x00" * 48}, TypeError, id="raw-key-bytes"),
        pytest.param({"ctx": None}, TypeError, id="no-context"),
        pytest.param({"length": -1}, ValueError, id="negative-length"),
        pytest.param({"length": 3}, ValueError, id="wrong-length-for-bytes"),
    ],
)
def test_bad_seal_arguments_fail_eagerly(
    args: dict[str, object], error: type, ritual: LocalRitual, ctx: SealContext
) -> None:
    call: dict[str, object] = {"plaintext": b"ab", "dao_key": ritual.public_key, "ctx": ctx}
    call.update(args)
    out = io.BytesIO()
    with pytest.raises(error):
        seal(call["plaintext"], call["dao_key"], call["ctx"], out=out, length=call.get("length"))  # type: ignore[arg-type]
    assert out.getvalue() == b""  # nothing written before the inputs were checked


def test_the_recipe_has_no_nonce_or_key_bytes_parameters() -> None:
    import inspect

    assert SEGMENT_SIZE == 1 << 20  # DDF v2 writers; only crypto._seal (tests) takes another
    for fn in (seal, seal_bytes, open_with_dek, open_sealed, open_sealed_bytes):
        names = set(inspect.signature(fn).parameters)
        assert not names & {"nonce", "iv", "key", "dek_bytes", "prefix", "segment_size"}


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"chain_id": 0}, ValueError),
        ({"chain_id": True}, TypeError),
        ({"registry": "0x5fbdb2315678afecb367f032d93f642f64180aa3"}, ValueError),
        ({"registry": "not an address"}, ValueError),
        ({"dataset_id": -1}, ValueError),
        ({"contributor": "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"}, ValueError),
        ({"contributor": b"\x00" * 20}, ValueError),
        ({"contributor": "0x" + "00" * 19}, ValueError),
        ({"ritual_id": 2**32}, ValueError),
        ({"content_commitment": "00" * 32}, TypeError),
    ],
)
def test_bad_context_fails_eagerly(
    changes: dict[str, object], error: type, ctx: SealContext
) -> None:
    with pytest.raises(error):
        replace(ctx, **changes)  # type: ignore[arg-type]


def test_dao_public_key_is_validated() -> None:
    with pytest.raises(ValueError, match="48 bytes"):
        DaoPublicKey(b"\x01" * 47)
    with pytest.raises(ValueError, match="not a valid"):
        DaoPublicKey(b"\x00" * 48)


def test_data_key_never_shows_itself() -> None:
    secret = bytes(range(32))
    key = DataKey(secret)
    assert secret.hex() not in repr(key)
    assert repr(secret) not in repr(key)
    assert "redacted" in repr(SharedSecret(b"\x01\x02"))
    assert key == DataKey(secret)
    assert key != DataKey(bytes(32))
    with pytest.raises(TypeError):
        pickle.dumps(key)
    with pytest.raises(TypeError):
        hash(key)
    with pytest.raises(ValueError, match="32 bytes"):
        DataKey(b"short")


def test_any_threshold_of_validators_decrypts(ritual: LocalRitual, ctx: SealContext) -> None:
    sealed = seal_bytes(b"pooled data", ritual.public_key, ctx)
    keys = [
        unwrap_dek(sealed.header, ritual.shared_secret(sealed.header, indices=subset))
        for subset in combinations(range(ritual.shares_num), ritual.threshold)
    ]
    assert all(k == keys[0] for k in keys)
    assert open_bytes_with_dek(sealed.data, keys[0], ctx) == b"pooled data"


def test_fewer_than_threshold_shares_reveal_nothing(ritual: LocalRitual, ctx: SealContext) -> None:
    sealed = seal_bytes(b"pooled data", ritual.public_key, ctx)
    for subset in combinations(range(ritual.shares_num), ritual.threshold - 1):
        with pytest.raises(EnvelopeError):
            unwrap_dek(sealed.header, ritual.shared_secret(sealed.header, indices=subset))


def test_another_rituals_validators_cannot_decrypt(ritual: LocalRitual, ctx: SealContext) -> None:
    other = run_local_ritual(shares=4, threshold=3, ritual_id=ctx.ritual_id)
    sealed = seal_bytes(b"pooled data", ritual.public_key, ctx)
    with pytest.raises(EnvelopeError):
        other.decrypt(sealed.header)


def test_shares_for_one_file_do_not_open_another(ritual: LocalRitual, ctx: SealContext) -> None:
    a = seal_bytes(b"a", ritual.public_key, ctx)
    b = seal_bytes(b"b", ritual.public_key, ctx)
    with pytest.raises(EnvelopeError):
        unwrap_dek(b.header, ritual.shared_secret(a.header))


def test_wrapped_key_is_bound_to_the_header_core(ritual: LocalRitual, ctx: SealContext) -> None:
    """Moving a wrapped DEK into a header with another context: validators refuse to share."""
    sealed = seal_bytes(b"a", ritual.public_key, ctx)
    moved = SealedHeader.from_header(
        replace(sealed.header.header, contributor=checksum_address(b"\x99" * 20))
    )
    request = ferveo_ciphertext_header(moved)
    with pytest.raises(EnvelopeError):
        ritual.decryption_share(0, request)
    with pytest.raises(EnvelopeError):
        ritual.decrypt(moved)


def test_context_and_header_hash_are_checked_before_asking_for_shares(
    ritual: LocalRitual, ctx: SealContext
) -> None:
    sealed = seal_bytes(b"a", ritual.public_key, ctx)
    asked: list[SealedHeader] = []

    def dek_for(header: SealedHeader) -> DataKey:
        asked.append(header)
        return ritual.decrypt(header)

    with pytest.raises(EnvelopeError):
        open_sealed_bytes(sealed.data, replace(ctx, chain_id=1), dek_for=dek_for)
    with pytest.raises(EnvelopeError):
        open_sealed_bytes(
            sealed.data, ctx, dek_for=dek_for, expected_header_hash=HeaderHash(b"\x00" * 32)
        )
    assert asked == []
    opened = open_sealed_bytes(
        sealed.data, ctx, dek_for=dek_for, expected_header_hash=sealed.header_hash
    )
    assert opened == b"a"
    assert len(asked) == 1


def test_combining_bad_shares_is_a_custody_error() -> None:
    with pytest.raises(KeyCustodyError):
        combine_decryption_shares([])
    with pytest.raises(KeyCustodyError):
        combine_decryption_shares([b"\x00" * 10])


def test_garbage_shared_secret_does_not_open(ritual: LocalRitual, ctx: SealContext) -> None:
    sealed = seal_bytes(b"a", ritual.public_key, ctx)
    with pytest.raises(EnvelopeError):
        unwrap_dek(sealed.header, SharedSecret(b"\x00" * 584))


class _Trickle(io.RawIOBase):
    """A source that returns at most 7 bytes per call, like a slow pipe or socket."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        return self._inner.readinto(memoryview(b)[:7])


def test_short_reads_are_not_mistaken_for_truncation(ritual: LocalRitual, ctx: SealContext) -> None:
    plaintext = os.urandom(3000)
    sealed = seal_bytes(plaintext, ritual.public_key, ctx)
    out = io.BytesIO()
    open_sealed(_Trickle(sealed.data), ctx, dek_for=ritual.decrypt, out=out)
    assert out.getvalue() == plaintext

    resealed = io.BytesIO()
    seal(_Trickle(plaintext), ritual.public_key, ctx, out=resealed, length=len(plaintext))
    assert open_sealed_bytes(resealed.getvalue(), ctx, dek_for=ritual.decrypt) == plaintext
