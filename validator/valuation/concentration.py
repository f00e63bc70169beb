"""Where does a contributor's gain come from? A check against data tailored to a few items.

The utility is a mean over validation items, so data that raises the likelihood of a handful of
leaked or guessed validation items a lot can score like broad, useful data. The word checks
(containment) catch copies and paraphrases of validation text; this check catches what gets
past them whatever its form (text respelled across word boundaries, say), by asking where on
the validation set the gain lands.

For the n-gram LM, for each contributor ``c`` and validation item ``v``::

    gain_v(c) = t_v / T * (U_v(pool + c) - U_v(pool))

where ``U_v`` is the mean log-likelihood of item ``v``'s tokens, ``t_v`` its tokens and ``T``
the validation set's, so the gains add up to ``U(pool + c) - U(pool)``. The contributor's
*concentration* is the share of its positive gain that its ``k`` largest gains carry. Broad
in-domain data spreads its gain over many items (on the bench, honest sources put a small share
into their top 5 of 100 items); data tailored to a few items puts nearly all of it there.

It reuses the problem's own counts and probability code by evaluating it with one item's
n-gram weights at a time (``dataclasses.replace(problem, weights=...)``), on the CPU in fp64.
Other model families have no per-item decomposition here and are not judged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import torch

from validator.valuation.data import Record
from validator.valuation.features import base_vocab, lm_windows, window_keys
from validator.valuation.ngram import NgramProblem
from validator.valuation.spec import ValuationSpec

__all__ = ["item_gains", "top_share"]

F64 = npt.NDArray[np.float64]


def item_gains(
    spec: ValuationSpec,
    problem: NgramProblem,
    validation: Sequence[Record],
    groups: Sequence[Sequence[int]],
) -> F64:
    """``[len(groups), len(validation)]`` gains of each group of players (a contributor's
    blocks) alone on top of the pool, per validation item (module docstring)."""
    fz = spec.featurizer
    radix = base_vocab(fz) + 2
    keys = [window_keys(lm_windows([v], fz, fz.order), radix) for v in validation]
    table = np.unique(np.concatenate(keys)) if keys else np.zeros(0, np.int64)
    total = float(sum(k.shape[0] for k in keys))
    n = problem.n_contributors
    masks = np.zeros((len(groups) + 1, n), dtype=np.bool_)
    for g, players in enumerate(groups):
        masks[g + 1, list(players)] = True
    out = np.zeros((len(groups), len(validation)), dtype=np.float64)
    if table.shape[0] != problem.weights.shape[0] or total == 0.0:
        return out  # not this problem's validation set: nothing to attribute
    cpu = torch.device("cpu")
    for i, k in enumerate(keys):
        if k.shape[0] == 0:
            continue
        w = np.bincount(np.searchsorted(table, k), minlength=table.shape[0]).astype(np.float64)
        u = dataclasses.replace(problem, weights=w).bind(cpu).utilities(masks)
        out[:, i] = k.shape[0] / total * (u[1:] - u[0])
    return out


def top_share(gains: F64, k: int) -> float | None:
    """Share of the positive gain carried by the ``k`` largest gains; None without gain."""
    pos = np.sort(np.clip(np.asarray(gains, dtype=np.float64), 0.0, None))[::-1]
    total = float(pos.sum())
    return float(pos[:k].sum() / total) if total > 0.0 else None
