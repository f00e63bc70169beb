"""HAZARDOUS MATERIALS: typed calls into Ferveo (``nucypher-core``). Use ``node.protocol.crypto``.

Ferveo is the threshold encryption scheme behind Threshold's TACo: a DKG among the ritual's
validators yields one public key; anything encrypted to it opens only with a shared secret
combined from ``t`` validators' decryption shares, each computed for a given ciphertext header
and AAD. We use it to wrap one 32-byte data key (DEK) per file (DESIGN.md §4).

``nucypher_core`` ships no type stubs, so this module is the seam where untyped objects become
``bytes``: everything crossing it is serialized Ferveo bytes, which is also what travels over the
network and sits in headers. Ferveo signals bad input with a mix of ``SerializationError``
(a ``ValueError``), ``ThresholdEncryptionError``, ``RuntimeError`` and ``TypeError``;
:class:`FerveoError` replaces all of them so callers catch one thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from nucypher_core import ferveo as _f

__all__ = [
    "DKG_PUBLIC_KEY_LENGTH",
    "FerveoError",
    "check_dkg_public_key",
    "ciphertext_header",
    "combine_decryption_shares",
    "create_decryption_share_simple",
    "decrypt_with_shared_secret",
    "encrypt",
]

DKG_PUBLIC_KEY_LENGTH: Final = 48


class FerveoError(Exception):
    """Ferveo rejected its input (malformed bytes, wrong AAD, wrong shares). Internal only."""


# Every way Ferveo says "bad input". Kept explicit rather than ``Exception`` so a bug in our
# own code (say, an AttributeError) is not mistaken for a bad ciphertext.
_FERVEO_FAILURES: Final = (
    _f.SerializationError,
    _f.ThresholdEncryptionError,
    ValueError,
    RuntimeError,
    TypeError,
    OverflowError,
)


def check_dkg_public_key(data: bytes) -> None:
    """Raise ``ValueError`` unless ``data`` is a serialized, valid Ferveo DKG public key."""
    if not isinstance(data, bytes) or len(data) != DKG_PUBLIC_KEY_LENGTH:
        raise ValueError(f"a DKG public key is {DKG_PUBLIC_KEY_LENGTH} bytes")
    try:
        _f.DkgPublicKey.from_bytes(data)
    except _FERVEO_FAILURES:
        raise ValueError("not a valid Ferveo DKG public key") from None


def encrypt(plaintext: bytes, aad: bytes, dkg_public_key: bytes) -> bytes:
    """Threshold-encrypt ``plaintext`` to the DKG key; return the serialized Ferveo Ciphertext."""
    pk = _f.DkgPublicKey.from_bytes(dkg_public_key)
    return bytes(_f.encrypt(plaintext, aad, pk))


def ciphertext_header(ciphertext: bytes) -> tuple[object, bytes]:
    """The Ferveo ``CiphertextHeader`` object (what validators create shares for) and its bytes.

    Raises:
        FerveoError: ``ciphertext`` is not a serialized Ferveo Ciphertext.
    """
    try:
        header = _f.Ciphertext.from_bytes(ciphertext).header
    except _FERVEO_FAILURES as err:
        raise FerveoError from err
    return header, bytes(header)


def create_decryption_share_simple(
    *, aggregate: Any, dkg: Any, ciphertext_header: object, aad: bytes, keypair: Any
) -> bytes:
    """A validator's serialized decryption share for ``ciphertext_header`` under ``aad``.

    Ferveo first checks that the ciphertext verifies against the AAD, and on failure
    nucypher-core 0.16 (ferveo 0.4) *panics*: the Rust panic surfaces as
    ``pyo3_runtime.PanicException``, which derives from ``BaseException``, so an ordinary
    ``except Exception`` in a share server would not stop one malformed header from taking the
    handler down. Here it becomes :class:`FerveoError`.
    """
    try:
        return bytes(aggregate.create_decryption_share_simple(dkg, ciphertext_header, aad, keypair))
    except _FERVEO_FAILURES as err:
        raise FerveoError from err
    except BaseException as err:
        if _is_rust_panic(err):
            raise FerveoError("ciphertext does not verify against the AAD") from err
        raise


def combine_decryption_shares(shares: Sequence[bytes]) -> bytes:
    """Combine serialized ``DecryptionShareSimple`` values into a serialized ``SharedSecret``.

    Combining does not verify the shares; a wrong or forged share shows up later as a failed
    decryption. Raises ``FerveoError`` on malformed shares or an empty sequence.
    """
    if not shares:
        raise FerveoError("no decryption shares")
    try:
        parsed = [_f.DecryptionShareSimple.from_bytes(share) for share in shares]
        return bytes(_f.combine_decryption_shares_simple(parsed))
    except _FERVEO_FAILURES as err:
        raise FerveoError from err


def decrypt_with_shared_secret(ciphertext: bytes, aad: bytes, shared_secret: bytes) -> bytes:
    """Open a Ferveo Ciphertext with a combined shared secret. Raises ``FerveoError``."""
    try:
        plaintext = _f.decrypt_with_shared_secret(
            _f.Ciphertext.from_bytes(ciphertext), aad, _f.SharedSecret.from_bytes(shared_secret)
        )
        # Ferveo returns the plaintext as a list of ints.
        return bytes(plaintext)
    except _FERVEO_FAILURES as err:
        raise FerveoError from err


def _is_rust_panic(err: BaseException) -> bool:
    # pyo3 creates the PanicException type lazily and exposes no stable import for it.
    kind = type(err)
    return kind.__name__ == "PanicException" and kind.__module__ == "pyo3_runtime"
