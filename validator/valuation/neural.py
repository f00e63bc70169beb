"""Small neural LM: hashed context n-gram features -> softmax head (or a tiny MLP), batched.

A training example is one window (``order - 1`` context tokens, then the target). Identical
windows are merged and weighted by how often each contributor holds them, so the shared
feature matrix is built once and a subset only reweights it (softmax.py). Context features are
the hashed suffixes of length 1..order-1 (multi-hot over ``buckets`` dimensions), the log-linear
analogue of the count model in ngram.py that can share strength across contexts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from validator.valuation.data import Record
from validator.valuation.errors import SpecError
from validator.valuation.features import base_vocab, hash_buckets, lm_windows, window_keys
from validator.valuation.softmax import SoftmaxProblem
from validator.valuation.spec import ValuationSpec

__all__ = ["build_neural_problem"]

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]


def _context_features(windows: I64, buckets: int, radix: int) -> F32:
    out = np.zeros((windows.shape[0], buckets), dtype=np.float32)
    n = windows.shape[1]
    rows = np.arange(windows.shape[0])
    for k in range(1, n):
        key = np.full(windows.shape[0], k, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for col in range(n - 1 - k, n - 1):
                key = key * np.uint64(radix) + windows[:, col].astype(np.uint64)
        out[rows, hash_buckets(key, buckets)] += 1.0
    return out


def build_neural_problem(
    spec: ValuationSpec,
    contributors: Sequence[Sequence[Record]],
    validation: Sequence[Record],
    pool: Sequence[Record],
    init_seed: int,
) -> SoftmaxProblem:
    """Merge identical training windows and count them per contributor.

    Raises:
        SpecError: the order is too high for exact 63-bit window keys.
    """
    fz = spec.featurizer
    order, base = fz.order, base_vocab(fz)
    radix = base + 2
    if radix**order >= 2**62:
        raise SpecError(f"order {order} with {base} tokens overflows exact 63-bit keys")
    per = [lm_windows(c, fz, order) for c in contributors]
    pool_w = lm_windows(pool, fz, order)
    all_windows = np.concatenate([*per, pool_w]) if per else pool_w
    keys, first = np.unique(window_keys(all_windows, radix), return_index=True)
    reps = all_windows[first]

    def weights(w: I64) -> F32:
        out = np.zeros(keys.shape[0], dtype=np.float32)
        if w.shape[0]:
            uniq, cnt = np.unique(window_keys(w, radix), return_counts=True)
            out[np.searchsorted(keys, uniq)] = cnt
        return out

    val = lm_windows(validation, fz, order)
    _, vfirst, vcount = np.unique(window_keys(val, radix), return_index=True, return_counts=True)
    vreps = val[vfirst]
    t = spec.training
    return SoftmaxProblem(
        x=_context_features(reps, fz.buckets, radix),
        y=reps[:, -1].copy(),
        counts=np.stack([weights(w) for w in per])
        if per
        else np.zeros((0, keys.shape[0]), np.float32),
        pool=weights(pool_w),
        x_val=_context_features(vreps, fz.buckets, radix),
        y_val=vreps[:, -1].copy(),
        w_val=vcount.astype(np.float64),
        n_classes=base + 1,
        steps=t.steps,
        lr=t.lr,
        l2=t.l2,
        hidden=t.hidden,
        init_seed=init_seed,
        precision=t.precision,
        item_sizes=np.asarray([w.shape[0] for w in per], dtype=np.float64),
        pool_items=float(pool_w.shape[0]),
    )
