"""Learning-curve fit."""

from __future__ import annotations

import numpy as np
import pytest

from validator.valuation.curve import fit_power_law


def test_recovers_a_power_law() -> None:
    m = np.geomspace(100, 5000, 40)
    fit = fit_power_law(m, 3.0 * m**-0.35 + 0.8, 5000.0)
    assert fit is not None
    assert fit.b == pytest.approx(-0.35, abs=0.01)
    assert fit.c == pytest.approx(0.8, abs=0.01)
    assert fit.gain_2x == pytest.approx(3.0 * 5000**-0.35 * (1 - 2**-0.35), rel=0.02)
    assert fit.gain_10x > fit.gain_2x > 0
    assert not fit.at_edge


def test_too_few_sizes_gives_no_curve() -> None:
    assert fit_power_law(np.array([10.0, 10.0, 0.0]), np.array([1.0, 1.0, 2.0]), 10.0) is None
