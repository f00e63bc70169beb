"""Share sealing to a requester's X25519 session key: round trip, binding, tampering, redaction."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.custody.errors import ShareEnvelopeError
from node.custody.session import SealedShare, SessionKey, open_from, seal_to


@given(share=st.binary(max_size=2048), aad=st.binary(min_size=32, max_size=32))
def test_round_trip(share: bytes, aad: bytes) -> None:
    key = SessionKey.generate()
    assert open_from(key, seal_to(key.public_bytes, share, aad=aad), aad=aad) == share


def test_every_seal_uses_a_fresh_ephemeral_key() -> None:
    key = SessionKey.generate()
    a, b = (seal_to(key.public_bytes, b"share", aad=b"x" * 32) for _ in range(2))
    assert a.ephemeral_public != b.ephemeral_public
    assert a.ciphertext != b.ciphertext


def test_another_request_digest_does_not_open() -> None:
    key = SessionKey.generate()
    sealed = seal_to(key.public_bytes, b"share", aad=b"a" * 32)
    with pytest.raises(ShareEnvelopeError):
        open_from(key, sealed, aad=b"b" * 32)


def test_another_key_does_not_open() -> None:
    sealed = seal_to(SessionKey.generate().public_bytes, b"share", aad=b"a" * 32)
    with pytest.raises(ShareEnvelopeError):
        open_from(SessionKey.generate(), sealed, aad=b"a" * 32)


@pytest.mark.parametrize("where", ["ephemeral", "ciphertext", "truncate"])
def test_tampering_is_detected(where: str) -> None:
    key = SessionKey.generate()
    s = seal_to(key.public_bytes, b"share bytes", aad=b"a" * 32)
    if where == "ephemeral":
        bad = SealedShare(bytes([s.ephemeral_public[0] ^ 1]) + s.ephemeral_public[1:], s.ciphertext)
    elif where == "ciphertext":
        bad = SealedShare(s.ephemeral_public, s.ciphertext[:-1] + bytes([s.ciphertext[-1] ^ 1]))
    else:
        bad = SealedShare(s.ephemeral_public[:31], s.ciphertext)
    with pytest.raises(ShareEnvelopeError):
        open_from(key, bad, aad=b"a" * 32)


def test_secret_round_trips_and_never_prints_or_pickles() -> None:
    key = SessionKey.generate()
    again = SessionKey.from_secret(key.secret_bytes())
    assert again.public_bytes == key.public_bytes
    assert key.secret_bytes().hex() not in repr(key)
    assert "redacted" in str(key)
    with pytest.raises(TypeError):
        pickle.dumps(key)


def test_bad_public_key_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        seal_to(b"short", b"x", aad=b"")
    with pytest.raises(ValueError, match="shared key"):  # all-zero point -> all-zero secret
        seal_to(b"\x00" * 32, b"x", aad=b"")
