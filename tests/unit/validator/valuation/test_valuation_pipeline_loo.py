"""ValuationSpec.estimator ``loo`` / ``auto`` wired into value_epoch (issue #19 item 3): an epoch
too large for sampled Banzhaf is valued by exact leave-one-out of its blocks. Hostile cases
first: noise and a sybil split under LOO; then the happy path (values are the summed LOO of the
blocks, no subset models, and ``auto`` switches only above ``loo_above``)."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import numpy as np
import pytest

from validator.valuation.backends import LocalBackend
from validator.valuation.blocks import blocks_of
from validator.valuation.data import Contribution, Record
from validator.valuation.errors import SpecError
from validator.valuation.influence import loo_values
from validator.valuation.ngram import build_ngram_problem
from validator.valuation.pipeline import value_epoch
from validator.valuation.spec import ValuationSpec
from validator.valuation.synthetic import made_up_words, prose_records

CPU = LocalBackend("cpu", threads=1)
SEED = hashlib.sha256(b"loo pipeline").digest()
LOO = ValuationSpec(estimator="loo", block_chars=2000)


def _world(n: int = 6, seed: int = 0) -> tuple[list[Contribution], list[Record], list[Record]]:
    rng = np.random.default_rng(seed)
    vocab = made_up_words(rng, 1400)
    shared, own = vocab[:1000], [vocab[1000 + 100 * k : 1100 + 100 * k] for k in range(4)]
    honest = [
        Contribution(f"h{k}", tuple(prose_records(rng, 25, shared, own[k % 4], phrase_rate=0.5)))
        for k in range(n)
    ]
    val = [r for k in range(4) for r in prose_records(rng, 15, shared, own[k], phrase_rate=0.5)]
    pool = prose_records(rng, 6, shared, own[0], phrase_rate=0.5)
    return honest, val, pool


def _byte_noise(records: tuple[Record, ...], seed: int) -> tuple[Record, ...]:
    rng = np.random.default_rng(seed)
    return tuple(Record("".join(rng.permutation(list(r.text)))) for r in records)


def test_byte_noise_is_paid_nothing_under_loo() -> None:
    honest, val, pool = _world()
    noise = Contribution("noise", _byte_noise(honest[0].records, 3))
    res = value_epoch(LOO, [*honest, noise], val, pool, SEED, CPU)
    assert res.contributors[-1].bps == 0
    assert res.contributors[-1].value < min(c.value for c in res.contributors[:-1])
    assert sum(c.bps for c in res.contributors) == 10_000


def test_splitting_over_identities_moves_no_loo_value() -> None:
    """Blocks are the players, so a split leaves every other contributor's LOO value alone."""
    honest, val, pool = _world()
    whole = value_epoch(LOO, honest, val, pool, SEED, CPU)
    recs, cut = honest[-1].records, len(honest[-1].records) // 2
    halves = [Contribution("s1", recs[:cut]), Contribution("s2", recs[cut:])]
    split = value_epoch(LOO, [*honest[:-1], *halves], val, pool, SEED, CPU)
    before = [c.value for c in whole.contributors[:-1]]
    after = [c.value for c in split.contributors[:-2]]
    assert after == pytest.approx(before, rel=0.05)
    ratio = sum(c.bps for c in split.contributors[-2:]) / whole.contributors[-1].bps
    assert ratio <= 1.05


def test_loo_is_refused_for_other_models() -> None:
    with pytest.raises(SpecError):
        ValuationSpec(model="neural", estimator="auto")
    with pytest.raises(SpecError):
        ValuationSpec(estimator="auto", loo_above=0)


def test_loo_values_are_the_blocks_summed_with_no_subset_models() -> None:
    honest, val, pool = _world()
    res = value_epoch(LOO, honest, val, pool, SEED, CPU)
    assert res.n_models_used == 0
    assert all(c.stderr == 0.0 for c in res.contributors)
    owners, players = [], []
    for o, c in enumerate(honest):
        for b in blocks_of(c.records, LOO.block_chars):
            owners.append(o)
            players.append(b)
    per_block = loo_values(build_ngram_problem(LOO, players, val, pool))
    expected = np.zeros(len(honest))
    np.add.at(expected, owners, per_block)
    assert [c.value for c in res.contributors] == pytest.approx(list(expected), abs=1e-12)
    again = value_epoch(LOO, honest, val, pool, SEED, CPU)
    assert [c.bps for c in again.contributors] == [c.bps for c in res.contributors]


def test_auto_switches_only_above_loo_above() -> None:
    honest, val, pool = _world()
    auto = dataclasses.replace(LOO, estimator="auto", loo_above=1000)
    small = value_epoch(auto, honest, val, pool, SEED, CPU)
    assert small.n_models_used == auto.n_models  # sampled Banzhaf below the threshold
    large = value_epoch(dataclasses.replace(auto, loo_above=2), honest, val, pool, SEED, CPU)
    assert large.n_models_used == 0
    assert [c.bps for c in large.contributors] == [
        c.bps for c in value_epoch(LOO, honest, val, pool, SEED, CPU).contributors
    ]
    assert large.transfer_rho is not None


def test_loo_above_is_in_the_digest_only_with_auto() -> None:
    assert "loo_above" not in json.loads(ValuationSpec().canonical_json())
    assert "loo_above" not in json.loads(LOO.canonical_json())
    a = ValuationSpec(estimator="auto", loo_above=100)
    b = ValuationSpec(estimator="auto", loo_above=200)
    assert json.loads(a.canonical_json())["loo_above"] == 100
    assert a.digest() != b.digest()


def test_a_large_epoch_is_not_rounded_to_nobody_paid() -> None:
    # Removing one of many files moves the validation log-likelihood by a sliver: at the
    # 4-decimal quantum every value rounded to 0, the vector summed to 0 and the 10,000-file
    # benchmark epoch paid nobody. loo_decimals rounds leave-one-out values finer.
    honest, val, pool = _world(n=120, seed=4)
    coarse = value_epoch(LOO, honest, val, pool, SEED, CPU)
    fine = value_epoch(dataclasses.replace(LOO, loo_decimals=9), honest, val, pool, SEED, CPU)
    assert coarse.decimals == LOO.decimals
    assert fine.decimals == 9
    # the same values, rounded differently
    assert [c.value for c in fine.contributors] == [c.value for c in coarse.contributors]
    assert sum(c.bps > 0 for c in fine.contributors) > sum(c.bps > 0 for c in coarse.contributors)
    assert sum(c.bps for c in fine.contributors) == 10_000
    # the spec says so, and a Banzhaf-valued spec's digest does not change for the field
    assert '"loo_decimals":9' in dataclasses.replace(LOO, loo_decimals=9).canonical_json()
    assert "loo_decimals" not in ValuationSpec().canonical_json()
    with pytest.raises(SpecError):
        dataclasses.replace(LOO, loo_decimals=13)
