"""Count-based n-gram language model, batched over subsets by one matrix product.

Only counts of n-grams that occur in the validation set matter for its likelihood, so each
contributor is reduced to a row of integer counts over the validation set's n-grams and contexts
(all orders 1..n). A subset's counts are then ``mask @ counts + pool``: exact integers (float64
holds them exactly up to 2**53) on any device. Smoothing interpolates orders with a Dirichlet
prior of strength beta (MacKay & Peto 1995)::

    p_0(x)       = 1 / V
    p_k(x | h_k) = (c(h_k x) + beta * p_{k-1}(x | h_{k-1})) / (c(h_k) + beta)

where ``h_k`` is the last k-1 tokens. The utility is the mean log p_n over validation tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch

from validator.valuation.data import Record
from validator.valuation.errors import SpecError
from validator.valuation.features import base_vocab, lm_windows, window_keys
from validator.valuation.spec import ValuationSpec

__all__ = ["NgramProblem", "build_ngram_problem"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]


def _counts_for(keys: I64, table: I64) -> F64:
    """How often each key of the sorted ``table`` occurs in ``keys``."""
    out = np.zeros(table.shape[0], dtype=np.float64)
    if keys.size == 0 or table.size == 0:
        return out
    uniq, cnt = np.unique(keys, return_counts=True)
    pos = np.clip(np.searchsorted(table, uniq), 0, table.shape[0] - 1)
    hit = table[pos] == uniq
    np.add.at(out, pos[hit], cnt[hit].astype(np.float64))
    return out


@dataclass(frozen=True, slots=True)
class _Columns:
    """Per order k: sorted n-gram keys and context keys, and where each val n-gram maps."""

    gram_tables: tuple[I64, ...]
    ctx_tables: tuple[I64, ...]
    gram_index: tuple[I64, ...]  # [U] column of the order-k n-gram of unique val n-gram u
    ctx_index: tuple[I64, ...]


def _suffix_keys(windows: I64, k: int, radix: int) -> tuple[I64, I64]:
    """Order-k n-gram keys (last k columns) and their context keys (last k columns but one)."""
    n = windows.shape[1]
    grams = window_keys(windows[:, n - k :], radix)
    ctx = window_keys(windows[:, n - k : n - 1], radix)  # empty context -> key 0 for k == 1
    return grams, ctx


@dataclass(frozen=True, slots=True)
class NgramProblem:
    """Counts over the validation n-grams; see the module docstring."""

    counts: F64  # [N, K] per-contributor counts, n-gram columns then context columns
    pool: F64  # [K]
    gram_cols: I64  # [order, U] column of each order's n-gram per unique val n-gram
    ctx_cols: I64  # [order, U]
    weights: F64  # [U] occurrences in the validation set
    vocab: int
    smoothing: float
    token_sizes: F64
    pool_tokens: float

    @property
    def n_contributors(self) -> int:
        return int(self.counts.shape[0])

    @property
    def sizes(self) -> F64:
        return self.token_sizes

    @property
    def pool_size(self) -> float:
        return self.pool_tokens

    def bind(self, device: torch.device) -> _BoundNgram:
        return _BoundNgram(self, device)

    def log_probs(self, rows: F64) -> F64:
        """``[c, U]`` log p of each unique validation n-gram under each row of counts ``[c, K]``,
        in numpy float64 with the same interpolation, in the same operation order, as the
        batched model below (leave-one-out and the concentration check evaluate it per row)."""
        beta = self.smoothing
        prob = np.full((rows.shape[0], self.weights.shape[0]), 1.0 / self.vocab)
        for k in range(self.gram_cols.shape[0]):
            num = rows[:, self.gram_cols[k]]
            den = rows[:, self.ctx_cols[k]]
            prob = (num + beta * prob) / (den + beta)
        return np.asarray(np.log(prob), dtype=np.float64)


class _BoundNgram:
    def __init__(self, p: NgramProblem, device: torch.device) -> None:
        self._p = p
        self._device = device
        self._counts = torch.from_numpy(p.counts).to(device)
        self._pool = torch.from_numpy(p.pool).to(device)
        self._gram = torch.from_numpy(p.gram_cols).to(device)
        self._ctx = torch.from_numpy(p.ctx_cols).to(device)
        self._w = torch.from_numpy(p.weights).to(device)

    def utilities(self, masks: npt.NDArray[np.bool_]) -> F64:
        x = torch.from_numpy(masks.astype(np.float64)).to(self._device)
        subset = x @ self._counts + self._pool  # [c, K], exact integers
        beta = self._p.smoothing
        prob = torch.full(
            (x.shape[0], self._w.shape[0]),
            1.0 / self._p.vocab,
            dtype=torch.float64,
            device=self._device,
        )
        for k in range(self._gram.shape[0]):
            num = subset[:, self._gram[k]]
            den = subset[:, self._ctx[k]]
            prob = (num + beta * prob) / (den + beta)
        ll = torch.log(prob) @ self._w / self._w.sum()
        return np.asarray(ll.cpu().numpy(), dtype=np.float64)


def build_ngram_problem(
    spec: ValuationSpec,
    contributors: Sequence[Sequence[Record]],
    validation: Sequence[Record],
    pool: Sequence[Record],
) -> NgramProblem:
    """Reduce every contributor (and the pool) to counts over the validation n-grams.

    Raises:
        SpecError: the order is too high for exact 63-bit n-gram keys with this vocabulary.
    """
    fz = spec.featurizer
    order = fz.order
    base = base_vocab(fz)
    radix = base + 2
    if radix**order >= 2**62:
        raise SpecError(f"order {order} with {base} tokens overflows exact 63-bit n-gram keys")
    val_windows = lm_windows(validation, fz, order)
    uniq_keys, first, weights = np.unique(
        window_keys(val_windows, radix), return_index=True, return_counts=True
    )
    del uniq_keys
    reps = val_windows[first]  # one window per unique validation n-gram
    gram_tables: list[I64] = []
    ctx_tables: list[I64] = []
    gram_cols: list[I64] = []
    ctx_cols: list[I64] = []
    offset = 0
    for k in range(1, order + 1):
        grams, ctx = _suffix_keys(reps, k, radix)
        gt, ginv = np.unique(grams, return_inverse=True)
        ct, cinv = np.unique(ctx, return_inverse=True)
        gram_tables.append(gt)
        ctx_tables.append(ct)
        gram_cols.append(ginv.reshape(-1) + offset)
        ctx_cols.append(cinv.reshape(-1) + offset + gt.shape[0])
        offset += gt.shape[0] + ct.shape[0]

    def row(records: Sequence[Record]) -> tuple[F64, float]:
        windows = lm_windows(records, fz, order)
        parts: list[F64] = []
        for k in range(1, order + 1):
            grams, ctx = _suffix_keys(windows, k, radix)
            parts.append(_counts_for(grams, gram_tables[k - 1]))
            parts.append(_counts_for(ctx, ctx_tables[k - 1]))
        return np.concatenate(parts), float(windows.shape[0])

    rows = [row(c) for c in contributors]
    pool_row, pool_tokens = row(pool)
    counts = np.stack([r for r, _ in rows]) if rows else np.zeros((0, offset), dtype=np.float64)
    return NgramProblem(
        counts=counts,
        pool=pool_row,
        gram_cols=np.stack(gram_cols).astype(np.int64),
        ctx_cols=np.stack(ctx_cols).astype(np.int64),
        weights=weights.astype(np.float64),
        vocab=base + 1,
        smoothing=spec.training.smoothing,
        token_sizes=np.asarray([t for _, t in rows], dtype=np.float64),
        pool_tokens=pool_tokens,
    )
