"""Players of the Banzhaf game are blocks of data, not identities (ValuationSpec.block_chars).

Why: with one player per contributor, a contributor who splits its data over k identities gets
the same summed value (for k = 2, exactly in expectation: the halves' Banzhaf values add up to
E over the others' subsets of U(S + A + B) - U(S)), but the *others'* values fall. Each other
contributor's value averages its marginal gain over subsets holding none or all of the split
data; after the split, subsets also hold half of it, and a marginal gain that shrinks
convexly with the data already present (the concave learning curve) averages lower there. On
the attack bench the others lost 10% (k = 2) and 14% (k = 4) of their value, so the splitter's
*share* rose 5.8% and 2.3% (scripts/bench/RESULTS-valuation-attacks.md).

The fix is to take identities out of the game. Each contributor's kept records are sorted by
content hash and packed into ``max(1, round(chars / block_chars))`` blocks of about equal
size (each record to the lightest block so far); every block is a player, and a contributor's
value is the sum of its blocks' values, with the standard error of that sum from the
least-squares covariance. Splitting one's records over identities then yields about the same
number of blocks of about the same size, so the random subsets hold the same amounts of every
kind of data and nobody's value moves (up to one block's rounding per identity).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from validator.valuation.data import Record
from validator.valuation.estimator import BanzhafEstimate, banzhaf

__all__ = ["blocks_of", "grouped_banzhaf"]

F64 = npt.NDArray[np.float64]


def blocks_of(records: Sequence[Record], block_chars: int) -> list[tuple[Record, ...]]:
    """One contributor's records as blocks (see the module docstring); ``block_chars`` 0 keeps
    them as one block. Never returns an empty block; an empty input gives one empty block (the
    contributor still has its column)."""
    recs = list(records)
    chars = sum(len(r.text) for r in recs)
    k = 1 if block_chars <= 0 else max(1, min(len(recs), round(chars / block_chars)))
    if k == 1:
        return [tuple(recs)]
    order = sorted(recs, key=lambda r: (hashlib.sha256(r.text.encode()).digest(), r.label or ""))
    out: list[list[Record]] = [[] for _ in range(k)]
    load = [0] * k
    for r in order:
        i = min(range(k), key=lambda b: (load[b], b))
        out[i].append(r)
        load[i] += len(r.text)
    return [tuple(b) for b in out]


def grouped_banzhaf(
    masks: npt.NDArray[np.bool_], utilities: F64, owners: Sequence[int], n_groups: int
) -> tuple[BanzhafEstimate, BanzhafEstimate]:
    """Banzhaf values of the players (``masks`` columns) and of their owners.

    An owner's value and MSR value are the sums of its players'; its standard error is
    ``sqrt(g' Cov g)`` with ``Cov`` the least-squares covariance of the players' values (their
    errors are correlated through the shared subsets, so the players' errors do not simply add
    in quadrature). Returns ``(players, groups)``.
    """
    est = banzhaf(masks, utilities)
    m, n = masks.shape
    own = np.asarray(owners, dtype=np.int64).reshape(-1)
    members = [np.flatnonzero(own == g) for g in range(n_groups)]
    x = np.concatenate([np.ones((m, 1)), masks.astype(np.float64)], axis=1)
    resid = np.asarray(utilities, dtype=np.float64) - x @ np.concatenate(
        [[est.intercept], est.values]
    )
    xtx = x.T @ x
    rank = int(np.linalg.matrix_rank(xtx)) if n else 1
    dof = m - rank
    if dof > 0 and n and rank == n + 1:  # else unidentified: see estimator.banzhaf
        cov = float(resid @ resid) / dof * np.linalg.pinv(xtx)[1:, 1:]
        var = np.array([cov[np.ix_(ix, ix)].sum() for ix in members], dtype=np.float64)
        stderr = np.sqrt(np.clip(var, 0.0, None))
    else:
        stderr = np.full(n_groups, np.inf)
    values = np.zeros(n_groups)
    msr = np.zeros(n_groups)
    np.add.at(values, own, est.values)
    np.add.at(msr, own, est.msr)
    group = BanzhafEstimate(values=values, msr=msr, stderr=stderr, intercept=est.intercept)
    return est, group
