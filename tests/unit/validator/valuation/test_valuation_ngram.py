"""The batched n-gram LM against a plain-Python reference, and its device twin."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
import torch
from valuation_params import cuda_param

from validator.valuation.data import Record
from validator.valuation.errors import SpecError
from validator.valuation.masks import subset_masks
from validator.valuation.ngram import build_ngram_problem
from validator.valuation.spec import FeaturizerSpec, TrainSpec, ValuationSpec
from validator.valuation.synthetic import chat_records

BOS, EOS = 257, 256


def _seq(text: str, order: int) -> list[int]:
    return [BOS] * (order - 1) + list(text.encode()) + [EOS]


def _reference_loglik(train: list[Record], val: list[Record], order: int, beta: float) -> float:
    grams: Counter[tuple[int, ...]] = Counter()
    ctxs: Counter[tuple[int, ...]] = Counter()
    for r in train:
        s = _seq(r.text, order)
        for t in range(order - 1, len(s)):
            for k in range(1, order + 1):
                grams[tuple(s[t - k + 1 : t + 1])] += 1
                ctxs[tuple(s[t - k + 1 : t])] += 1
    total, n = 0.0, 0
    for r in val:
        s = _seq(r.text, order)
        for t in range(order - 1, len(s)):
            p = 1.0 / 257
            for k in range(1, order + 1):
                g = tuple(s[t - k + 1 : t + 1])
                p = (grams[g] + beta * p) / (ctxs[g[:-1]] + beta)
            total += math.log(p)
            n += 1
    return total / n


def test_matches_reference(seed: bytes) -> None:
    rng = np.random.default_rng(3)
    contributors = [chat_records(rng, 3) for _ in range(4)]
    val, pool = chat_records(rng, 4), chat_records(rng, 1)
    spec = ValuationSpec(featurizer=FeaturizerSpec(order=3), training=TrainSpec(smoothing=0.7))
    problem = build_ngram_problem(spec, contributors, val, pool)
    masks = subset_masks(seed, 6, 4)
    got = problem.bind(torch.device("cpu")).utilities(masks)
    for m in range(6):
        train = list(pool) + [r for j in range(4) if masks[m, j] for r in contributors[j]]
        assert got[m] == pytest.approx(_reference_loglik(train, val, 3, 0.7), abs=1e-12)


def test_counts_are_exact_integers() -> None:
    rng = np.random.default_rng(4)
    problem = build_ngram_problem(ValuationSpec(), [chat_records(rng, 5)], chat_records(rng, 5), [])
    assert np.array_equal(problem.counts, np.round(problem.counts))
    assert problem.sizes[0] == sum(
        len(r.text.encode()) + 1 for r in chat_records(np.random.default_rng(4), 5)
    )


def test_more_relevant_data_scores_higher(seed: bytes) -> None:
    rng = np.random.default_rng(5)
    problem = build_ngram_problem(
        ValuationSpec(),
        [chat_records(rng, 20), [Record("zzzz qqqq xxxx " * 30)]],
        chat_records(rng, 10),
        [],
    )
    u = problem.bind(torch.device("cpu")).utilities(np.array([[1, 0], [0, 1], [0, 0]], bool))
    assert u[0] > u[2]  # relevant data helps
    assert u[0] > u[1]  # and beats junk of the same kind of size


def test_order_that_would_overflow_is_refused() -> None:
    spec = ValuationSpec(featurizer=FeaturizerSpec(kind="words", order=8, buckets=1 << 20))
    with pytest.raises(SpecError):
        build_ngram_problem(spec, [], [Record("a b")], [])


@pytest.mark.parametrize("device", ["cpu", cuda_param])
def test_device_agrees_with_cpu_after_rounding(device: str, seed: bytes) -> None:
    rng = np.random.default_rng(6)
    problem = build_ngram_problem(
        ValuationSpec(), [chat_records(rng, 4) for _ in range(8)], chat_records(rng, 6), []
    )
    masks = subset_masks(seed, 16, 8)
    cpu = problem.bind(torch.device("cpu")).utilities(masks)
    dev = problem.bind(torch.device(device)).utilities(masks)
    assert np.array_equal(np.round(cpu, 4), np.round(dev, 4))
    assert np.array_equal(problem.bind(torch.device(device)).utilities(masks), dev)
