"""Helpers shared by the storage tests: Kubo's deterministic test stream and vector loading."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

from node.storage.unixfs import Layout

VECTORS_PATH = Path(__file__).parent / "data" / "kubo_cids.json"


class ChaChaStream:
    """Kubo's test input: the ChaCha20 keystream under key sha256(seed), zero nonce, counter 0.

    ``cryptography`` takes a 16-byte nonce = 4-byte little-endian block counter ‖ 12-byte nonce,
    so all zeros means "counter 0, nonce 0" — the RFC 8439 layout Go's chacha20 uses. Encrypting
    zeros yields the bare keystream. Implements ``readinto``/``read`` so it can stand in for a
    file of any size without holding it in memory.
    """

    def __init__(self, seed: str, size: int) -> None:
        key = hashlib.sha256(seed.encode("utf-8")).digest()
        self._enc = Cipher(algorithms.ChaCha20(key, bytes(16)), mode=None).encryptor()
        self._left = size
        self._zeros = bytes(1 << 20)

    def readinto(self, buf: memoryview | bytearray) -> int:
        n = min(len(buf), self._left, len(self._zeros))
        if n:
            self._enc.update_into(self._zeros[:n], memoryview(buf)[:n])
        self._left -= n
        return n

    def read(self, n: int = -1) -> bytes:
        n = self._left if n < 0 else min(n, self._left)
        self._left -= n
        return self._enc.update(bytes(n))


@dataclass(frozen=True)
class Vector:
    name: str
    literal: bytes | None
    seed: str | None
    size: int
    layout: Layout
    cid: str
    slow: bool

    def stream(self) -> Any:
        import io

        if self.literal is not None:
            return io.BytesIO(self.literal)
        assert self.seed is not None
        return ChaChaStream(self.seed, self.size)


def load_vectors() -> list[Vector]:
    doc = json.loads(VECTORS_PATH.read_text())
    out = []
    for v in doc["vectors"]:
        opts = v["options"]
        inp = v["input"]
        literal = inp["literal_utf8"].encode() if "literal_utf8" in inp else None
        out.append(
            Vector(
                name=v["name"],
                literal=literal,
                seed=inp.get("chacha20_seed"),
                size=len(literal) if literal is not None else inp["size"],
                layout=Layout(
                    cid_version=opts["cid_version"],
                    raw_leaves=opts["raw_leaves"],
                    chunk_size=opts["chunk_size"],
                    max_links=opts["max_links"],
                ),
                cid=v["cid"],
                slow=bool(v.get("slow", False)),
            )
        )
    return out
