"""Contributor-level Data Banzhaf from subset utilities.

Each subset model m includes contributor j with probability 1/2 (masks.py) on top of the pool.
With x in {0,1}^N uniform, the Banzhaf value of j is E[U | x_j=1] - E[U | x_j=0], and it is also
the coefficient of x_j in the least-squares linear fit of U on x (Hammer & Holzman 1992), so we
report the regression coefficients (which use every model for every contributor and so have less
variance when contributors are many) and the Maximum Sample Reuse difference of means (Wang &
Jia 2023) as a cross-check. Both run on the CPU in float64, so they add no device dependence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from validator.valuation.errors import ValuationError

__all__ = ["BanzhafEstimate", "banzhaf", "banzhaf_msr", "predicted_l1"]

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class BanzhafEstimate:
    """Per-contributor values, in utility units (nats per validation item).

    Attributes:
        values: least-squares Banzhaf values (the ones that are paid).
        msr: Maximum Sample Reuse estimates of the same quantity (cross-check).
        stderr: OLS standard errors of ``values``; large ones mean M is too small.
        intercept: fitted utility of the pool alone.
    """

    values: F64
    msr: F64
    stderr: F64
    intercept: float


def _checked_utilities(masks: npt.NDArray[np.bool_], utilities: F64) -> F64:
    """The utilities as float64, one finite value per mask (both estimators' precondition)."""
    m = masks.shape[0]
    u = np.asarray(utilities, dtype=np.float64)
    if u.shape != (m,):
        raise ValuationError(f"{m} masks but {u.shape} utilities")
    if not np.all(np.isfinite(u)):
        raise ValuationError("a subset utility is not finite")
    return u


def banzhaf(masks: npt.NDArray[np.bool_], utilities: F64) -> BanzhafEstimate:
    """Estimate Banzhaf values from ``masks [M, N]`` and the subset ``utilities [M]``.

    Raises:
        ValuationError: shapes disagree or a utility is not finite.
    """
    m, n = masks.shape
    u = _checked_utilities(masks, utilities)
    if n == 0:
        empty = np.zeros(0, dtype=np.float64)
        return BanzhafEstimate(empty, empty, empty, float(u.mean()) if m else 0.0)
    x = masks.astype(np.float64)
    design = np.concatenate([np.ones((m, 1)), x], axis=1)
    coef, _, rank, _ = np.linalg.lstsq(design, u, rcond=None)
    resid = u - design @ coef
    dof = m - rank
    # Fewer independent subsets than players (antithetic pairs give one direction per pair,
    # so M/2 < N already falls short): the least-squares values are not identified, and the
    # pseudo-inverse would report a small error for an arbitrary minimum-norm answer. Such an
    # estimate must never look stable (measured: predicted L1 0.02 for a real L1 of 1.4).
    if dof > 0 and rank == n + 1:
        sigma2 = float(resid @ resid) / dof
        cov = sigma2 * np.linalg.pinv(design.T @ design)
        stderr = np.sqrt(np.clip(np.diag(cov)[1:], 0.0, None))
    else:
        stderr = np.full(n, np.inf)
    n_in = x.sum(axis=0)
    n_out = m - n_in
    mean_in = np.divide(u @ x, n_in, out=np.zeros(n), where=n_in > 0)
    mean_out = np.divide(u @ (1.0 - x), n_out, out=np.zeros(n), where=n_out > 0)
    msr = np.where((n_in > 0) & (n_out > 0), mean_in - mean_out, 0.0)
    return BanzhafEstimate(
        values=coef[1:].astype(np.float64),
        msr=msr.astype(np.float64),
        stderr=stderr.astype(np.float64),
        intercept=float(coef[0]),
    )


def banzhaf_msr(masks: npt.NDArray[np.bool_], utilities: F64) -> BanzhafEstimate:
    """Difference-of-means Banzhaf only: O(M N) time and memory, for any M.

    :func:`banzhaf` solves an ``[M, N+1]`` least-squares problem and inverts an ``[N+1, N+1]``
    matrix, which at N = 10,000 contributors costs minutes and gigabytes before a single
    utility is computed, and needs M > N models to mean anything. This estimate uses each
    model for every contributor without that solve; its error grows like sqrt(N / M)
    because the other contributors' effects are noise to it (the fit removes them). Here
    ``values`` and ``msr`` are the same array. With antithetic masks (odd models the complement
    of the even ones, masks.py) ``stderr`` comes from the pairs' differences, which cancel
    whatever depends only on subset size; otherwise from the two groups' variances.

    Raises:
        ValuationError: shapes disagree or a utility is not finite.
    """
    m, n = masks.shape
    u = _checked_utilities(masks, utilities)
    intercept = float(u.mean()) if m else 0.0
    if n == 0 or m < 2:
        none = np.zeros(n, dtype=np.float64)
        return BanzhafEstimate(none, none, np.full(n, np.inf), intercept)
    paired = m % 2 == 0 and bool(np.array_equal(masks[1::2], ~masks[0::2]))
    if paired:
        sign = np.where(masks[0::2], 1.0, -1.0)  # [P, N]: +1 where j is in the even model
        d = sign * (u[0::2] - u[1::2])[:, None]
        values = d.mean(axis=0)
        p = d.shape[0]
        stderr = d.std(axis=0, ddof=1) / np.sqrt(p) if p > 1 else np.full(n, np.inf)
        return BanzhafEstimate(values, values, stderr.astype(np.float64), intercept)
    x = masks.astype(np.float64)
    n_in = x.sum(axis=0)
    n_out = m - n_in
    s_in = u @ x
    s_out = u.sum() - s_in
    q_in = (u * u) @ x
    q_out = float(u @ u) - q_in
    ok = (n_in > 1) & (n_out > 1)
    safe_in, safe_out = np.where(ok, n_in, 2.0), np.where(ok, n_out, 2.0)
    mean_in, mean_out = s_in / safe_in, s_out / safe_out
    var_in = np.clip(q_in - safe_in * mean_in**2, 0.0, None) / (safe_in - 1)
    var_out = np.clip(q_out - safe_out * mean_out**2, 0.0, None) / (safe_out - 1)
    values = np.where(ok, mean_in - mean_out, 0.0)
    stderr = np.where(ok, np.sqrt(var_in / safe_in + var_out / safe_out), np.inf)
    return BanzhafEstimate(values, values, stderr.astype(np.float64), intercept)


def predicted_l1(values: F64, stderr: F64) -> float:
    """Expected L1 distance between the payout shares of two independent estimates.

    Each share is ``max(v_j, 0) / T`` with ``T = sum_j max(v_j, 0)``; two estimates with
    independent errors of standard deviation ``se_j`` differ in ``v_j`` by N(0, 2 se_j^2), whose
    mean absolute value is ``2 se_j / sqrt(pi)``. Contributors that could be paid under another
    seed (``v_j > -2 se_j``) count. Returns 0 when nobody is paid (nothing to disagree on) and
    inf when a standard error is unknown.
    """
    v = np.asarray(values, dtype=np.float64)
    se = np.asarray(stderr, dtype=np.float64)
    total = float(np.clip(v, 0.0, None).sum())
    if total <= 0.0:
        return 0.0
    live = v > -2.0 * se
    if not np.all(np.isfinite(se[live])):
        return float("inf")
    return float(2.0 / np.sqrt(np.pi) * se[live].sum() / total)
