"""Banzhaf estimation and the value -> basis-point mapping."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from validator.valuation.blocks import grouped_banzhaf
from validator.valuation.errors import ValuationError
from validator.valuation.estimator import banzhaf, predicted_l1
from validator.valuation.masks import subset_masks
from validator.valuation.scores import quantize, to_bps


def test_additive_utility_is_recovered_exactly(seed: bytes) -> None:
    # For U(S) = u0 + sum_{j in S} w_j, the Banzhaf value of j is w_j: regression must be exact.
    w = np.array([0.3, -0.2, 0.05, 0.0, 1.5])
    masks = subset_masks(seed, 64, 5)
    est = banzhaf(masks, 2.0 + masks.astype(float) @ w)
    np.testing.assert_allclose(est.values, w, atol=1e-12)
    assert est.intercept == pytest.approx(2.0)
    assert np.all(est.stderr < 1e-6)
    # MSR (difference of means) is unbiased but not exact: the others' coins add noise.
    many = subset_masks(seed, 4096, 5)
    msr = banzhaf(many, 2.0 + many.astype(float) @ w).msr
    np.testing.assert_allclose(msr, w, atol=0.06)


def test_interaction_is_split_between_players(seed: bytes) -> None:
    # U = x0 * x1: each gets half the synergy (Banzhaf value 1/2); the dummy gets 0.
    masks = subset_masks(seed, 4096, 3)
    x = masks.astype(float)
    est = banzhaf(masks, x[:, 0] * x[:, 1])
    np.testing.assert_allclose(est.values, [0.5, 0.5, 0.0], atol=0.03)
    np.testing.assert_allclose(est.msr, [0.5, 0.5, 0.0], atol=0.03)


def test_rejects_bad_inputs(seed: bytes) -> None:
    masks = subset_masks(seed, 8, 3)
    with pytest.raises(ValuationError):
        banzhaf(masks, np.zeros(7))
    with pytest.raises(ValuationError):
        banzhaf(masks, np.array([np.nan] * 8))


def test_bps_rule() -> None:
    assert to_bps([3, 1, -5, 4], [False, False, False, True]) == [7500, 2500, 0, 0]
    assert to_bps([0, -1], [False, False]) == [0, 0]
    assert to_bps([1, 1, 1], [False, False, False]) == [3334, 3333, 3333]  # ties: lower index
    assert quantize(np.array([0.12344, 0.00006, -0.00004, -0.0003]), 4) == [1234, 1, 0, -3]


@given(
    st.lists(st.integers(min_value=-(10**6), max_value=10**6), min_size=1, max_size=60),
    st.data(),
)
def test_bps_sum_to_10000_and_respect_order(quanta: list[int], data: st.DataObject) -> None:
    flagged = data.draw(st.lists(st.booleans(), min_size=len(quanta), max_size=len(quanta)))
    bps = to_bps(quanta, flagged)
    paid = [max(q, 0) if not f else 0 for q, f in zip(quanta, flagged, strict=True)]
    assert sum(bps) == (10_000 if sum(paid) > 0 else 0)
    for i, j in zip(range(len(paid)), range(1, len(paid)), strict=False):
        if paid[i] > paid[j]:
            assert bps[i] >= bps[j]
    assert all(b == 0 for b, p in zip(bps, paid, strict=True) if p == 0)


def test_too_few_subsets_for_the_players_never_look_stable(seed: bytes) -> None:
    # 128 antithetic models give 64 independent directions: 100 players are not identified.
    # The pseudo-inverse used to report a tiny error for its arbitrary minimum-norm answer, and
    # the adaptive rule stopped there (an n = 100 epoch paid by noise: L1 1.4 between seeds).
    rng = np.random.default_rng(0)
    w = rng.normal(0.01, 0.005, 100)
    for m, identified in ((128, False), (256, True)):
        masks = subset_masks(seed, m, 100)
        x = masks.astype(float)
        u = np.log1p(x @ np.abs(w))  # concave in the data, as a learning curve is
        est = banzhaf(masks, u)
        assert np.all(np.isfinite(est.stderr)) == identified
        assert np.isfinite(predicted_l1(est.values, est.stderr)) == identified
        _, groups = grouped_banzhaf(masks, u, list(range(100)), 100)
        assert np.all(np.isfinite(groups.stderr)) == identified
