"""Masks: the documented sha256 construction, recomputed here independently of masks.py."""

from __future__ import annotations

import hashlib
import struct

import numpy as np
import pytest

from validator.valuation.errors import SpecError
from validator.valuation.masks import curve_masks, subset_masks


def _reference_bit(seed: bytes, m: int, j: int) -> bool:
    d = hashlib.sha256(b"datadao/valuation/mask/v1" + seed + struct.pack(">II", m, j // 256))
    return bool((d.digest()[(j % 256) // 8] >> (7 - j % 8)) & 1)


def test_matches_the_specification(seed: bytes) -> None:
    masks = subset_masks(seed, 5, 600, antithetic=False)  # crosses two 256-contributor blocks
    for m in range(5):
        for j in (0, 1, 7, 8, 255, 256, 257, 511, 512, 599):
            assert masks[m, j] == _reference_bit(seed, m, j)


def test_antithetic_pairs_are_complements(seed: bytes) -> None:
    masks = subset_masks(seed, 8, 300)
    plain = subset_masks(seed, 4, 300, antithetic=False)
    assert np.array_equal(masks[0::2], plain)
    assert np.array_equal(masks[1::2], ~plain)


def test_known_answer_vector() -> None:
    # Pinned so that a change to the construction cannot go unnoticed by other validators.
    masks = subset_masks(bytes(range(32)), 2, 16)
    bits = ["".join("1" if b else "0" for b in row) for row in masks]
    assert bits == PINNED_BITS


def test_prefix_stable_and_fair(seed: bytes) -> None:
    big = subset_masks(seed, 64, 300, antithetic=False)
    assert np.array_equal(subset_masks(seed, 32, 100, antithetic=False), big[:32, :100])
    assert abs(big.mean() - 0.5) < 0.02


def test_other_seed_other_masks(seed: bytes) -> None:
    other = bytes(b ^ 1 for b in seed)
    assert not np.array_equal(subset_masks(seed, 16, 50), subset_masks(other, 16, 50))
    assert not np.array_equal(
        subset_masks(seed, 16, 50, antithetic=False), subset_masks(seed, 16, 50)
    )


def test_curve_masks_follow_their_fractions(seed: bytes) -> None:
    masks = curve_masks(seed, [0.25, 1.0], 4000)
    assert abs(masks[0].mean() - 0.25) < 0.03
    assert masks[1].all()


@pytest.mark.parametrize("bad", [b"", b"x" * 31, b"x" * 33])
def test_seed_must_be_32_bytes(bad: bytes) -> None:
    with pytest.raises(SpecError):
        subset_masks(bad, 4, 4)


PINNED_BITS = ["0101011100000010", "1010100011111101"]
