"""Featurizers: deterministic, integer where possible, computed once per epoch.

Language models see each record as ``[BOS]*(order-1) + tokens + [EOS]``. Token ids are bytes
(0..255) or hashed whitespace words (0..buckets-1); EOS = base and BOS = base + 1, so a model
predicts ``base + 1`` symbols. Hashes are blake2b or a fixed 64-bit multiplicative hash, never
Python's salted ``hash()``, so every machine featurizes identically.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from validator.valuation.data import Record
from validator.valuation.errors import DataFormatError
from validator.valuation.spec import FeaturizerSpec

__all__ = [
    "base_vocab",
    "hash_buckets",
    "hashed_bag",
    "lm_windows",
    "numeric_rows",
    "window_keys",
]

I64 = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def base_vocab(fz: FeaturizerSpec) -> int:
    """Number of ordinary token ids (EOS and BOS come after them)."""
    return 256 if fz.kind == "bytes" else fz.buckets


def _token_ids(text: str, fz: FeaturizerSpec) -> I64:
    if fz.kind == "bytes":
        return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(np.int64)
    ids = [
        int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "big") % fz.buckets
        for w in text.split()
    ]
    return np.asarray(ids, dtype=np.int64)


def lm_windows(records: Sequence[Record], fz: FeaturizerSpec, order: int) -> I64:
    """``[P, order]`` windows (context of ``order-1`` tokens, then the target), one per token."""
    base = base_vocab(fz)
    eos, bos = base, base + 1
    parts: list[I64] = []
    for rec in records:
        seq = np.concatenate(
            [np.full(order - 1, bos, np.int64), _token_ids(rec.text, fz), [eos]]
        ).astype(np.int64)
        parts.append(np.lib.stride_tricks.sliding_window_view(seq, order).copy())
    if not parts:
        return np.zeros((0, order), dtype=np.int64)
    return np.concatenate(parts, axis=0)


def window_keys(windows: I64, radix: int) -> I64:
    """Exact integer key of each row (base-``radix`` number); caller guarantees no overflow."""
    key = np.zeros(windows.shape[0], dtype=np.int64)
    for col in range(windows.shape[1]):
        key = key * radix + windows[:, col]
    return key


def hash_buckets(keys: npt.NDArray[np.uint64], buckets: int) -> I64:
    """Fibonacci hashing of 64-bit keys into ``buckets`` (wrapping uint64 arithmetic)."""
    with np.errstate(over="ignore"):
        mixed = (keys * _GOLDEN) >> np.uint64(32)
    return (mixed % np.uint64(buckets)).astype(np.int64)


def hashed_bag(records: Sequence[Record], fz: FeaturizerSpec) -> F32:
    """Bag of byte n-grams (1..order) hashed into ``buckets`` dims, log1p counts, L2-normalised."""
    out = np.zeros((len(records), fz.buckets), dtype=np.float32)
    for i, rec in enumerate(records):
        b = np.frombuffer(rec.text.encode("utf-8"), dtype=np.uint8).astype(np.uint64)
        for n in range(1, fz.order + 1):
            if b.size < n:
                break
            win = np.lib.stride_tricks.sliding_window_view(b, n)
            key = np.full(win.shape[0], n, dtype=np.uint64)
            with np.errstate(over="ignore"):
                for col in range(n):
                    key = key * np.uint64(257) + win[:, col]
            np.add.at(out[i], hash_buckets(key, fz.buckets), 1.0)
    np.log1p(out, out=out)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


def numeric_rows(records: Sequence[Record], fz: FeaturizerSpec) -> F32:
    """Rows of whitespace-separated numbers times ``scale``.

    Raises:
        DataFormatError: a value is not a finite number or rows differ in width.
    """
    rows: list[list[float]] = []
    for i, rec in enumerate(records):
        try:
            row = [float(tok) * fz.scale for tok in rec.text.split()]
        except ValueError as err:
            raise DataFormatError(f"record {i}: {err}") from err
        if not row or not all(np.isfinite(row)):
            raise DataFormatError(f"record {i}: empty or non-finite numeric row")
        rows.append(row)
    if len({len(r) for r in rows}) > 1:
        raise DataFormatError("numeric rows differ in width")
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)
