"""The deterministic input both importers hash: Kubo's ChaCha20 test stream, generated lazily.

``js/unixfs_cid.mjs`` computes the same bytes with Node's OpenSSL ChaCha20 for an input named
``chacha20:SEED:SIZE``, so a multi-hundred-megabyte file never exists on disk or in memory on
either side. The Kubo-vector test checks that both sides really produce Kubo's stream.
"""

from __future__ import annotations

import hashlib
from typing import BinaryIO, cast

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

_PIECE = 1 << 20


class ChaChaStream:
    """``size`` bytes of the ChaCha20 keystream under key sha256(seed), zero nonce, counter 0.

    ``cryptography`` takes a 16-byte nonce = 4-byte little-endian counter ‖ 12-byte nonce, the
    RFC 8439 layout Go's and OpenSSL's chacha20 use. A binary stream (``readinto``/``read``), so
    it stands in for a file of any size.
    """

    def __init__(self, seed: str, size: int) -> None:
        key = hashlib.sha256(seed.encode("utf-8")).digest()
        self._enc = Cipher(algorithms.ChaCha20(key, bytes(16)), mode=None).encryptor()
        self._left = size
        self._zeros = bytes(_PIECE)

    def readinto(self, buf: memoryview | bytearray) -> int:
        n = min(len(buf), self._left, _PIECE)
        if n:
            self._enc.update_into(self._zeros[:n], memoryview(buf)[:n])
        self._left -= n
        return n

    def read(self, n: int = -1) -> bytes:
        n = self._left if n < 0 else min(n, self._left)
        self._left -= n
        return self._enc.update(bytes(n))


def chacha_stream(seed: str, size: int) -> BinaryIO:
    """A :class:`ChaChaStream` typed as the binary stream the importers take (duck-typed)."""
    return cast(BinaryIO, ChaChaStream(seed, size))
