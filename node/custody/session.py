"""HAZARDOUS MATERIALS, kept small: authenticated encryption of one decryption share to a requester.

A validator must not hand out a raw decryption share: anyone on the path could collect ``t`` of
them. Each share is therefore sealed to the requester's 32-byte X25519 *session* key (the
``requesterKey`` the requester signed in its EIP-712 request, and for renters the ``renterKey``
governance approved on chain), ECIES-style:

* the validator draws a fresh ephemeral X25519 key for every response;
* ``ikm = X25519(ephemeral_secret, requester_public)``;
* ``key ‖ nonce = HKDF-SHA256(ikm, salt = ephemeral_public ‖ requester_public,
  info = "datadao/custody/share/v1", length = 44)``;
* ``ciphertext = AES-256-GCM(key, nonce, share, aad = the request's EIP-712 digest)``.

The key is used exactly once (a fresh ephemeral key per message), so deriving the nonce with it
is safe; binding the request digest as AAD means a share answered for one request (one file, one
purpose, one nonce) cannot be replayed as the answer to another. This is the only module of
``node.custody`` that touches primitives; callers see :class:`SessionKey`, :func:`seal_to` and
:func:`open_from`, and pick no nonce, key bytes or algorithm.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from node.custody.errors import ShareEnvelopeError

__all__ = ["PUBLIC_KEY_LENGTH", "SealedShare", "SessionKey", "open_from", "seal_to"]

PUBLIC_KEY_LENGTH: Final = 32
_INFO: Final = b"datadao/custody/share/v1"
_KEY_LENGTH: Final = 32
_NONCE_LENGTH: Final = 12
_RAW = serialization.Encoding.Raw
_RAW_PUBLIC = serialization.PublicFormat.Raw


class SessionKey:
    """A requester's X25519 session key pair. Its secret half never prints or pickles.

    A renter creates one per access request and keeps it (encrypted, 0600) until it has fetched
    the data; a scoring validator may use one per epoch.
    """

    __slots__ = ("_private", "public_bytes")

    def __init__(self, private: X25519PrivateKey) -> None:
        self._private = private
        self.public_bytes: bytes = private.public_key().public_bytes(_RAW, _RAW_PUBLIC)

    @classmethod
    def generate(cls) -> SessionKey:
        """A fresh key pair from the OS CSPRNG."""
        return cls(X25519PrivateKey.generate())

    @classmethod
    def from_secret(cls, secret: bytes) -> SessionKey:
        """Rebuild a key pair from its 32 secret bytes (as stored by the keystore)."""
        if not isinstance(secret, bytes) or len(secret) != _KEY_LENGTH:
            raise ValueError("an X25519 session secret is 32 bytes")
        return cls(X25519PrivateKey.from_private_bytes(secret))

    def secret_bytes(self) -> bytes:
        """The secret half, for :func:`node.protocol.keystore.save_secret` only."""
        return self._private.private_bytes(
            _RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )

    def __repr__(self) -> str:
        return f"SessionKey(public={self.public_bytes.hex()}, secret=<redacted>)"

    __str__ = __repr__

    def __reduce__(self) -> str:
        raise TypeError("SessionKey cannot be pickled")


@dataclass(frozen=True, slots=True)
class SealedShare:
    """A share sealed to a requester: the validator's ephemeral public key and the ciphertext."""

    ephemeral_public: bytes
    ciphertext: bytes


def _derive(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> tuple[bytes, bytes]:
    okm = HKDF(
        algorithm=hashes.SHA256(),
        length=_KEY_LENGTH + _NONCE_LENGTH,
        salt=ephemeral_public + recipient_public,
        info=_INFO,
    ).derive(shared)
    return okm[:_KEY_LENGTH], okm[_KEY_LENGTH:]


def seal_to(recipient_public: bytes, plaintext: bytes, *, aad: bytes) -> SealedShare:
    """Encrypt ``plaintext`` to ``recipient_public`` (32-byte X25519), bound to ``aad``.

    Raises:
        ValueError: ``recipient_public`` is not a usable X25519 public key (a low-order point
            gives an all-zero shared secret, which ``cryptography`` refuses).
    """
    if not isinstance(recipient_public, bytes) or len(recipient_public) != PUBLIC_KEY_LENGTH:
        raise ValueError("an X25519 public key is 32 bytes")
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(_RAW, _RAW_PUBLIC)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_public))
    key, nonce = _derive(shared, ephemeral_public, recipient_public)
    return SealedShare(ephemeral_public, AESGCM(key).encrypt(nonce, plaintext, aad))


def open_from(session: SessionKey, sealed: SealedShare, *, aad: bytes) -> bytes:
    """Decrypt a share sealed to ``session``'s public key for the request whose digest is ``aad``.

    Raises:
        ShareEnvelopeError: wrong key, wrong request, malformed or tampered ciphertext.
    """
    if not isinstance(session, SessionKey):
        raise TypeError("session must be a SessionKey")
    try:
        if len(sealed.ephemeral_public) != PUBLIC_KEY_LENGTH:
            raise ValueError("bad ephemeral key length")
        shared = session._private.exchange(
            X25519PublicKey.from_public_bytes(sealed.ephemeral_public)
        )
        key, nonce = _derive(shared, sealed.ephemeral_public, session.public_bytes)
        return AESGCM(key).decrypt(nonce, sealed.ciphertext, aad)
    except (InvalidTag, ValueError):
        raise ShareEnvelopeError from None
