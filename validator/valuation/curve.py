"""Learning curve from the subset models already trained: ``loss(m) = a * m**b + c``.

Subset models see different amounts of data (m = pool items + items of included contributors),
so their validation losses trace the dataset's learning curve for free (Hestness et al. 2017).
The fit is deterministic: for each exponent b on a fixed grid, a and c follow by linear least
squares; the b with the least squared error wins. ``gain_2x``/``gain_10x`` are the predicted
drops in validation loss (nats per item) from 2x and 10x the full dataset. A best exponent on
the edge of the grid (``at_edge``) means the points do not pin the curve down (e.g. the model
has saturated, or one subset dominates): read the predicted gains as rough.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["CurveFit", "fit_power_law"]

F64 = npt.NDArray[np.float64]
_EXPONENTS = np.linspace(-2.0, -0.005, 400)


@dataclass(frozen=True, slots=True)
class CurveFit:
    """Fitted curve, its residual error, and what it predicts beyond the data."""

    a: float
    b: float
    c: float
    rmse: float
    n_points: int
    m_full: float
    gain_2x: float
    gain_10x: float
    at_edge: bool

    def loss(self, m: float | F64) -> float | F64:
        """Predicted validation loss with ``m`` training items."""
        return self.a * np.power(m, self.b) + self.c


def fit_power_law(sizes: F64, losses: F64, m_full: float) -> CurveFit | None:
    """Fit the curve; None when fewer than 3 distinct positive sizes make it meaningless."""
    keep = (sizes > 0) & np.isfinite(losses)
    m, y = sizes[keep].astype(np.float64), losses[keep].astype(np.float64)
    if np.unique(m).size < 3 or m_full <= 0:
        return None
    best = (float("inf"), 0.0, 0.0, 0.0)
    for b in _EXPONENTS:
        design = np.stack([np.power(m, b), np.ones_like(m)], axis=1)
        (a, c), *_ = np.linalg.lstsq(design, y, rcond=None)
        sse = float(np.sum((design @ np.array([a, c]) - y) ** 2))
        if sse < best[0]:
            best = (sse, float(a), float(b), float(c))
    sse, a, b, c = best

    def at(x: float) -> float:
        return float(a * x**b + c)

    return CurveFit(
        a=a,
        b=b,
        c=c,
        rmse=float(np.sqrt(sse / m.size)),
        n_points=int(m.size),
        m_full=float(m_full),
        gain_2x=at(m_full) - at(2 * m_full),
        gain_10x=at(m_full) - at(10 * m_full),
        at_edge=b in (float(_EXPONENTS[0]), float(_EXPONENTS[-1])),
    )
