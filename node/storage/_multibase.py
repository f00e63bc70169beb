"""The two multibase encodings Kubo prints: base58btc (CIDv0, prefix ``z`` when explicit) and
RFC 4648 base32 lower case without padding (CIDv1, prefix ``b``).

Hand-written: base58 is a dozen lines, and base32 is the standard library's with the case and
padding adjusted. A dependency for this would cost more in review than it saves.
"""

from __future__ import annotations

import base64
import binascii

__all__ = ["b32_decode", "b32_encode", "b58_decode", "b58_encode"]

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {ch: i for i, ch in enumerate(_B58_ALPHABET)}


def b58_encode(data: bytes) -> str:
    """Encode bytes as base58btc (Bitcoin alphabet); leading zero bytes become ``1``."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    num = int.from_bytes(data, "big")
    digits: list[str] = []
    while num:
        num, rem = divmod(num, 58)
        digits.append(_B58_ALPHABET[rem])
    return "1" * zeros + "".join(reversed(digits))


def b58_decode(text: str) -> bytes:
    """Decode base58btc text.

    Raises:
        ValueError: on a character outside the alphabet.
    """
    num = 0
    for ch in text:
        try:
            num = num * 58 + _B58_INDEX[ch]
        except KeyError:
            raise ValueError(f"invalid base58 character {ch!r}") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    return b"\0" * zeros + body


def b32_encode(data: bytes) -> str:
    """Encode bytes as lower-case base32 without padding (multibase ``base32``)."""
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def b32_decode(text: str) -> bytes:
    """Decode lower-case, unpadded base32.

    Raises:
        ValueError: on upper case, padding or characters outside the alphabet.
    """
    if text != text.lower() or "=" in text:
        raise ValueError("base32 text must be lower case and unpadded")
    padded = text.upper() + "=" * (-len(text) % 8)
    try:
        data = base64.b32decode(padded)
    except binascii.Error as err:
        raise ValueError(f"invalid base32: {err}") from None
    if b32_encode(data) != text:  # rejects non-canonical trailing bits
        raise ValueError("non-canonical base32")
    return data
