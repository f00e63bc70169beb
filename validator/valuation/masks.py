"""Subset masks from the epoch seed: a counter-based generator every validator can reproduce.

Specification (version 1). ``seed`` is the 32-byte epoch seed from the chain. For subset model
``m`` (0-based) and contributor index ``j`` (0-based, in the order of :func:`contributor_order`):

    D(m, b)  = sha256(b"datadao/valuation/mask/v1" || seed || uint32_be(m) || uint32_be(b))
    bit(m,j) = (D(m, j // 256)[(j % 256) // 8] >> (7 - j % 8)) & 1

so each sha256 block yields 256 contributors' bits, most significant bit first, and each bit is
an independent fair coin (inclusion probability 1/2). With ``antithetic`` (the default), models
come in complementary pairs: model ``m`` uses counter ``m // 2`` and odd models invert the
bits. A pair's two subsets differ in every contributor, so any part of the utility that depends
only on how much data a subset holds (the concave learning curve) cancels exactly in every
contributor's estimate instead of adding noise to it. Learning-curve subsets with inclusion
probability ``p`` use their own domain, index ``k`` and 32-bit uniforms:

    E(k, b)  = sha256(b"datadao/valuation/curve/v1" || seed || uint32_be(k) || uint32_be(b))
    u(k,j)   = uint32_be(E(k, j // 8)[4 * (j % 8) : 4 * (j % 8) + 4])
    in(k,j)  = u(k,j) < floor(p * 2**32)          (p = 1 includes everyone)

Being counter based, any model's mask can be computed without the others, so Ray shards
regenerate nothing and a validator can audit any single subset. sha256 is everywhere, so no
library or platform RNG is involved.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from validator.valuation.errors import SpecError

__all__ = ["MASK_DOMAIN", "curve_masks", "subset_masks"]

MASK_DOMAIN = b"datadao/valuation/mask/v1"
CURVE_DOMAIN = b"datadao/valuation/curve/v1"
SEED_BYTES = 32


def _check_seed(seed: bytes) -> None:
    if len(seed) != SEED_BYTES:
        raise SpecError(f"epoch seed must be {SEED_BYTES} bytes, got {len(seed)}")


def subset_masks(
    seed: bytes, n_models: int, n_contributors: int, *, antithetic: bool = True
) -> npt.NDArray[np.bool_]:
    """The ``[n_models, n_contributors]`` Banzhaf inclusion masks of the module docstring."""
    _check_seed(seed)
    n_blocks = max(1, -(-n_contributors // 256))
    out = np.zeros((n_models, n_blocks * 256), dtype=np.bool_)
    for m in range(n_models):
        counter = m // 2 if antithetic else m
        digests = b"".join(
            hashlib.sha256(MASK_DOMAIN + seed + struct.pack(">II", counter, b)).digest()
            for b in range(n_blocks)
        )
        bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8), bitorder="big") == 1
        out[m] = ~bits if antithetic and m % 2 else bits
    return out[:, :n_contributors]


def curve_masks(
    seed: bytes, fractions: Sequence[float], n_contributors: int
) -> npt.NDArray[np.bool_]:
    """One mask per learning-curve fraction ``p``; each contributor is in with probability p."""
    _check_seed(seed)
    n_blocks = max(1, -(-n_contributors // 8))
    out = np.zeros((len(fractions), n_contributors), dtype=np.bool_)
    for k, p in enumerate(fractions):
        words = np.frombuffer(
            b"".join(
                hashlib.sha256(CURVE_DOMAIN + seed + struct.pack(">II", k, b)).digest()
                for b in range(n_blocks)
            ),
            dtype=">u4",
        ).astype(np.uint64)
        threshold = min(int(p * 2**32), 2**32)
        out[k] = words[:n_contributors] < threshold
    return out
