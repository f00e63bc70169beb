"""Deterministic contributor values for the n-gram count model that scale to 10,000+ contributors.

Sampled Banzhaf (estimator.py) needs a number of subset models that grows with the number of
contributors n: the least-squares fit needs M > n models and an [M, n+1] solve, and the
difference of means has an error per contributor that grows like sqrt(n / M)
(scripts/bench/RESULTS-valuation-scale.md). For the count model a contributor's effect can
instead be computed exactly, with no sampling and no RNG, because a subset's model is just
``pool + sum of its contributors' counts`` (ngram.py).

:func:`removal_effects` gives, for every contributor j at once,

    v_j = U(B_j + c_j) - U(B_j),        B_j = pool + f * (T - c_j)

where ``c_j`` is j's count row, ``T`` the sum of all rows and ``U`` the validation
log-likelihood per token of ngram.py. With ``f = 1`` this is the exact **leave-one-out** value on
the full pool (:func:`loo_values`): what the model loses when j's counts are subtracted from the
totals. With ``f = 1/2`` the base is the *expected* Banzhaf subset of the others (each is in
with probability 1/2), a mean-field approximation of the Banzhaf value whose scale matches it;
as n grows the subset counts concentrate around that mean, so the approximation improves just
where sampling gets expensive.

Cost: one pass over the [n, K] counts in row chunks, O(n * U * order) for U unique validation
n-grams; memory O(chunk * K). Copies: two identical contributors get identical values, each
smaller than either would get alone (removing one copy leaves the other). Copies and contested
records are removed by the duplicate checks (checks.py) *before* valuation, so valued
contributors do not hold each other's records; this module does not try to detect them.

Determinism: the arithmetic is float64 numpy on integer counts (exact), IEEE +, -, *, / and a
reduction along each row that does not depend on the chunk a row is in. ``log`` is numpy's,
which SIMD builds compute to within one ulp rather than correctly rounded; values are rounded
to ``spec.loo_decimals`` (else ``spec.decimals``) before they become scores (scores.py), as
Banzhaf values are to ``spec.decimals``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from validator.valuation.errors import SpecError
from validator.valuation.estimator import BanzhafEstimate
from validator.valuation.ngram import NgramProblem
from validator.valuation.problem import Problem

__all__ = ["grouped_loo", "loo_estimate", "loo_values", "removal_effects"]

F64 = npt.NDArray[np.float64]

DEFAULT_CHUNK = 256


def removal_effects(
    problem: NgramProblem, base_fraction: float = 1.0, *, chunk: int = DEFAULT_CHUNK
) -> F64:
    """``v_j = U(B_j + c_j) - U(B_j)`` with ``B_j = pool + base_fraction * (T - c_j)``.

    See the module docstring. ``base_fraction`` 1 is leave-one-out, 1/2 the mean-field Banzhaf
    approximation. ``chunk`` bounds memory only; it never changes a value.

    Raises:
        SpecError: ``base_fraction`` outside [0, 1] or ``chunk`` < 1.
    """
    if not 0.0 <= base_fraction <= 1.0 or not np.isfinite(base_fraction):
        raise SpecError(f"base_fraction must lie in [0, 1], got {base_fraction}")
    if chunk < 1:
        raise SpecError(f"chunk must be >= 1, got {chunk}")
    n = problem.n_contributors
    out = np.zeros(n, dtype=np.float64)
    if n == 0 or problem.weights.size == 0:
        return out
    counts = problem.counts
    total = counts.sum(axis=0)
    w = problem.weights
    w_sum = float(w.sum())
    shared_with: F64 | None = None
    if base_fraction == 1.0:  # every contributor's "with" model is the full one
        shared_with = problem.log_probs((problem.pool + total)[None, :])
    for start in range(0, n, chunk):
        rows = counts[start : start + chunk]
        base = problem.pool[None, :] + base_fraction * (total[None, :] - rows)
        without = problem.log_probs(base)
        with_j = shared_with if shared_with is not None else problem.log_probs(base + rows)
        out[start : start + rows.shape[0]] = ((with_j - without) * w[None, :]).sum(axis=1) / w_sum
    return out


def loo_values(problem: NgramProblem, *, chunk: int = DEFAULT_CHUNK) -> F64:
    """Exact leave-one-out values on the full pool: ``U(all) - U(all without j)`` per token."""
    return removal_effects(problem, 1.0, chunk=chunk)


def loo_estimate(problem: Problem, pool_utility: float) -> BanzhafEstimate:
    """Leave-one-out values in the estimator's result type, for ``ValuationSpec.estimator ==
    "loo"``: exact, so ``stderr`` is 0 and ``msr`` repeats the values.

    Raises:
        SpecError: the problem is not the n-gram count model (the only one LOO is exact for).
    """
    if not isinstance(problem, NgramProblem):
        raise SpecError("the loo estimator needs the ngram model")
    values = loo_values(problem)
    return BanzhafEstimate(values, values, np.zeros_like(values), pool_utility)


def grouped_loo(
    problem: Problem, pool_utility: float, owners: Sequence[int], n_groups: int
) -> tuple[BanzhafEstimate, BanzhafEstimate]:
    """Leave-one-out values of the players (blocks) and of their owners, the sums of their
    players' (as :func:`validator.valuation.blocks.grouped_banzhaf` sums Banzhaf values), so
    splitting one's data over identities moves nothing here either. Returns ``(players,
    groups)``; standard errors are 0 (nothing is sampled)."""
    players = loo_estimate(problem, pool_utility)
    values = np.zeros(n_groups, dtype=np.float64)
    np.add.at(values, np.asarray(owners, dtype=np.int64), players.values)
    return players, BanzhafEstimate(values, values, np.zeros(n_groups), pool_utility)
