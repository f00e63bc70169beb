"""Difference-of-means Banzhaf (banzhaf_msr): the O(M N) estimator used at 10,000 contributors."""

from __future__ import annotations

import numpy as np
import pytest

from validator.valuation.errors import ValuationError
from validator.valuation.estimator import banzhaf, banzhaf_msr
from validator.valuation.masks import subset_masks


def test_rejects_bad_inputs(seed: bytes) -> None:
    masks = subset_masks(seed, 8, 3)
    with pytest.raises(ValuationError):
        banzhaf_msr(masks, np.zeros(7))
    with pytest.raises(ValuationError):
        banzhaf_msr(masks, np.array([np.inf] * 8))


def test_too_few_models_or_no_contributors_say_unknown(seed: bytes) -> None:
    one = banzhaf_msr(subset_masks(seed, 1, 3, antithetic=False), np.array([0.5]))
    assert one.values.tolist() == [0.0, 0.0, 0.0]
    assert np.all(np.isinf(one.stderr))
    none = banzhaf_msr(np.zeros((4, 0), np.bool_), np.arange(4.0))
    assert none.values.shape == (0,)
    assert none.intercept == 1.5


def test_a_contributor_never_out_has_unknown_error() -> None:
    masks = np.array([[1, 0], [1, 1], [1, 0], [1, 1]], np.bool_)  # not antithetic
    est = banzhaf_msr(masks, np.array([1.0, 2.0, 1.5, 2.5]))
    assert est.values[0] == 0.0
    assert np.isinf(est.stderr[0])
    assert est.values[1] == pytest.approx(1.0)


@pytest.mark.parametrize("antithetic", [True, False])
def test_agrees_with_the_least_squares_cross_check(seed: bytes, antithetic: bool) -> None:
    masks = subset_masks(seed, 256, 7, antithetic=antithetic)
    x = masks.astype(float)
    rng = np.random.default_rng(1)
    u = x @ rng.normal(size=7) + 0.3 * x[:, 0] * x[:, 1] + 0.01 * rng.normal(size=256)
    np.testing.assert_allclose(banzhaf_msr(masks, u).values, banzhaf(masks, u).msr, atol=1e-12)


def test_stderr_covers_the_error_of_an_additive_utility(seed: bytes) -> None:
    """U = sum_j w_j x_j over 200 contributors: the others' coins are the only noise, which
    the standard error must describe (|error| < 4 stderr for every contributor)."""
    rng = np.random.default_rng(2)
    w = rng.normal(size=200)
    for antithetic in (True, False):
        masks = subset_masks(seed, 2048, 200, antithetic=antithetic)
        est = banzhaf_msr(masks, masks.astype(float) @ w)
        assert np.all(np.abs(est.values - w) < 4 * est.stderr)
        assert np.all(est.stderr < 0.6)
