"""Fixtures for valuation tests: small, fast instances of the benchmark tasks."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import numpy as np
import pytest
from sklearn.datasets import load_digits

from validator.valuation.data import Contribution, Record
from validator.valuation.spec import CheckSpec, FeaturizerSpec, TrainSpec, ValuationSpec
from validator.valuation.synthetic import chat_records, shuffled_records

DigitsTask = tuple[list[Contribution], list[Record], set[int]]
ChatTask = tuple[list[Contribution], list[Record], list[Record], dict[str, str]]


@pytest.fixture
def seed() -> bytes:
    return hashlib.sha256(b"datadao test epoch").digest()


def _row(x: np.ndarray) -> str:
    return " ".join(str(int(v)) for v in x)


@pytest.fixture(scope="session")
def digits_task() -> Callable[..., DigitsTask]:
    """Digits split into equal contributors; ``corrupted`` ones get ``flip`` of labels changed."""
    x, y = load_digits(return_X_y=True)

    def make(
        n: int = 10,
        per: int = 40,
        corrupted: Sequence[int] = (2, 7),
        flip: float = 0.6,
        n_val: int = 300,
        data_seed: int = 0,
    ) -> DigitsTask:
        rng = np.random.default_rng(data_seed)
        perm = rng.permutation(len(y))
        xs, ys = x[perm], y[perm]
        val = [Record(_row(xs[-i - 1]), str(ys[-i - 1])) for i in range(n_val)]
        contribs = []
        for j in range(n):
            recs = []
            for i in range(j * per, (j + 1) * per):
                label = int(ys[i])
                if j in corrupted and rng.random() < flip:
                    label = int((label + rng.integers(1, 10)) % 10)
                recs.append(Record(_row(xs[i]), str(label)))
            contribs.append(Contribution(f"c{j:03d}", tuple(recs)))
        return contribs, val, set(corrupted)

    return make


@pytest.fixture
def digits_spec() -> ValuationSpec:
    return ValuationSpec(
        model="classifier",
        featurizer=FeaturizerSpec(kind="numeric", scale=1 / 16),
        training=TrainSpec(steps=30, lr=0.1, l2=1.0),
        checks=CheckSpec(near_dup_threshold=None),
        n_models=64,
        model_chunk=16,
    )


@pytest.fixture
def chat_task() -> ChatTask:
    """Honest chat contributors plus one noise, one duplicate and one validation copy.

    The pool matters: on an empty pool even shuffled bytes "teach" the byte histogram and earn
    value; on top of an existing pool only data that teaches the language does.
    """
    rng = np.random.default_rng(7)
    val = chat_records(rng, 60)
    pool = chat_records(np.random.default_rng(99), 15)
    contribs = [Contribution(f"honest{j}", tuple(chat_records(rng, 25))) for j in range(6)]
    noise = shuffled_records(chat_records(rng, 25), rng)
    contribs.append(Contribution("noise", tuple(noise)))
    contribs.append(Contribution("copycat", contribs[0].records))
    contribs.append(Contribution("valcopy", tuple(val[:25])))
    roles = {"noise": "noise", "copycat": "duplicate", "honest0": "duplicate", "valcopy": "val"}
    return contribs, val, pool, roles


@pytest.fixture
def ngram_spec() -> ValuationSpec:
    return ValuationSpec(
        model="ngram",
        featurizer=FeaturizerSpec(kind="bytes", order=3),
        n_models=64,
        model_chunk=16,
    )
