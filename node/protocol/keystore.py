"""Encrypted keystore for a validator's secret key material (its Ferveo keypair seed).

Format (JSON, file mode 0600): ``{"version": 1, "kind", "kdf": "scrypt", "n", "r", "p",
"salt", "nonce", "ciphertext"}`` with AES-256-GCM under a key derived by scrypt from the
passphrase; ``kind`` is bound as AAD so a file of one kind cannot be loaded as another. Writes are
atomic (temp file + fsync + rename + fsync of the directory) so a crash never leaves a
half-written key, and a returned save survives a power cut. The secret type
redacts itself in repr so it cannot leak into logs.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from node.errors import KeyCustodyError

__all__ = ["KeystoreError", "Secret", "load_secret", "save_secret"]

_VERSION = 1
_N, _R, _P = 2**15, 8, 1


class KeystoreError(KeyCustodyError):
    """A keystore file is missing, malformed, too permissive, or the passphrase is wrong."""


class Secret:
    """Secret bytes that never print themselves."""

    __slots__ = ("_value",)

    def __init__(self, value: bytes) -> None:
        self._value = value

    def reveal(self) -> bytes:
        return self._value

    def __repr__(self) -> str:
        return "Secret(<redacted>)"

    __str__ = __repr__


def _kdf(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode())


def save_secret(path: Path, secret: bytes, *, passphrase: str, kind: str) -> None:
    """Encrypt ``secret`` under ``passphrase`` into ``path`` (mode 0600, atomic)."""
    if not passphrase:
        raise KeystoreError("refusing an empty keystore passphrase")
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    key = _kdf(passphrase, salt, _N, _R, _P)
    blob = {
        "version": _VERSION,
        "kind": kind,
        "kdf": "scrypt",
        "n": _N,
        "r": _R,
        "p": _P,
        "salt": salt.hex(),
        "nonce": nonce.hex(),
        "ciphertext": AESGCM(key).encrypt(nonce, secret, kind.encode()).hex(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump(blob, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable: without this, a power cut after ``save_secret``
    returned can bring back the old directory entry (no key, or the previous key)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load_secret(path: Path, *, passphrase: str, kind: str) -> Secret:
    """Decrypt a keystore written by :func:`save_secret`.

    Raises:
        KeystoreError: missing file, permissions wider than 0600, malformed file, wrong kind or
            wrong passphrase (one message for the last two: no oracle).
    """
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        raise KeystoreError(f"no keystore at {path}") from None
    if mode & 0o077:
        raise KeystoreError(f"keystore {path} is readable by others (mode {mode:o}); chmod 600 it")
    try:
        blob = json.loads(path.read_text())
        if blob["version"] != _VERSION or blob["kdf"] != "scrypt":
            raise KeystoreError(f"keystore {path}: unsupported version or KDF")
        key = _kdf(passphrase, bytes.fromhex(blob["salt"]), blob["n"], blob["r"], blob["p"])
        nonce, ct = bytes.fromhex(blob["nonce"]), bytes.fromhex(blob["ciphertext"])
    except (ValueError, KeyError, TypeError) as err:
        raise KeystoreError(f"keystore {path} is malformed: {type(err).__name__}") from None
    try:
        return Secret(AESGCM(key).decrypt(nonce, ct, kind.encode()))
    except InvalidTag:
        raise KeystoreError(f"keystore {path}: wrong passphrase or not a {kind} key") from None
