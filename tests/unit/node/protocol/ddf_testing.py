"""Helpers shared by the DDF tests: seal with a small segment size and keep the data key.

Both go through ``crypto._seal``, the recipe's private test hook; the public ``seal`` is fixed at
1 MiB segments and never reveals its data key.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass

from node.protocol import crypto
from node.protocol.crypto import DaoPublicKey, DataKey, SealContext, SealedHeader

FRAME = 4
TAG = 16


@dataclass(frozen=True)
class Sealed:
    blob: bytes
    header: SealedHeader
    dek: DataKey

    @property
    def body_offset(self) -> int:
        return FRAME + len(self.header.encoded)

    def segments(self) -> list[bytes]:
        """The body cut at its segment boundaries."""
        h = self.header.header
        out, pos, remaining = [], self.body_offset, h.plaintext_length
        for _ in range(h.segment_count):
            size = min(h.segment_size, remaining) + TAG
            out.append(self.blob[pos : pos + size])
            pos += size
            remaining -= size - TAG
        assert pos == len(self.blob)
        return out

    def with_body(self, segments: list[bytes]) -> bytes:
        return self.blob[: self.body_offset] + b"".join(segments)


def seal_keeping_dek(
    plaintext: bytes,
    key: DaoPublicKey,
    ctx: SealContext,
    *,
    segment_size: int,
    threads: int | None = None,
) -> Sealed:
    drawn: list[bytes] = []

    def randbytes(n: int) -> bytes:
        value = secrets.token_bytes(n)
        drawn.append(value)
        return value

    out = io.BytesIO()
    header = crypto._seal(
        plaintext,
        key,
        ctx,
        out=out,
        length=None,
        segment_size=segment_size,
        randbytes=randbytes,
        threads=threads,
    )
    return Sealed(blob=out.getvalue(), header=header, dek=DataKey(drawn[0]))
