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

It reads the problem's own counts (each contributor's blocks summed, plus the pool) and
evaluates the smoothed probabilities of every unique validation n-gram once per contributor,
in chunks, on the CPU in fp64: linear in contributors and validation tokens, so it scales to
epochs of thousands of files (a mask product per item would be quadratic). The recursion is
ngram.py's (``_BoundNgram.utilities``); the tests check the per-item gains add up to that
code's utilities, so the two cannot drift apart unnoticed. Other model families have no
per-item decomposition here and are not judged.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from validator.valuation.data import Record
from validator.valuation.features import base_vocab, lm_windows, window_keys
from validator.valuation.ngram import NgramProblem
from validator.valuation.spec import ValuationSpec

__all__ = ["item_gains", "top_share"]

F64 = npt.NDArray[np.float64]
CHUNK = 256  # contributors per probability evaluation (bounds memory: CHUNK x unique n-grams)


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
    out = np.zeros((len(groups), len(validation)), dtype=np.float64)
    if table.shape[0] != problem.weights.shape[0] or total == 0.0:
        return out  # not this problem's validation set: nothing to attribute
    where = [np.searchsorted(table, k) for k in keys]  # each item's n-grams, as table columns
    base = problem.log_probs(problem.pool[None, :])[0]
    for lo in range(0, len(groups), CHUNK):
        chunk = groups[lo : lo + CHUNK]
        rows = np.tile(problem.pool, (len(chunk), 1))
        for r, players in enumerate(chunk):
            if len(players):
                rows[r] += problem.counts[list(players)].sum(axis=0)
        diff = problem.log_probs(rows) - base[None, :]
        for i, cols in enumerate(where):
            out[lo : lo + len(chunk), i] = diff[:, cols].sum(axis=1) / total
    return out


def top_share(gains: F64, k: int) -> float | None:
    """Share of the positive gain carried by the ``k`` largest gains; None without gain."""
    pos = np.sort(np.clip(np.asarray(gains, dtype=np.float64), 0.0, None))[::-1]
    total = float(pos.sum())
    return float(pos[:k].sum() / total) if total > 0.0 else None
