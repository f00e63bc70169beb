"""Leave-one-out and mean-field values of the n-gram count model (influence.py).

Hostile first: empty contributors, fully redundant ones, copies, bad parameters; then the happy
path against a brute-force rebuild of the model without each contributor.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from validator.valuation.data import Record
from validator.valuation.errors import SpecError
from validator.valuation.influence import loo_estimate, loo_values, removal_effects
from validator.valuation.ngram import NgramProblem, build_ngram_problem
from validator.valuation.spec import FeaturizerSpec, TrainSpec, ValuationSpec
from validator.valuation.synthetic import chat_records, shuffled_records

SPEC = ValuationSpec(featurizer=FeaturizerSpec(order=3), training=TrainSpec(smoothing=0.7))


def _problem(
    contributors: list[list[Record]], val: list[Record], pool: list[Record]
) -> NgramProblem:
    return build_ngram_problem(SPEC, contributors, val, pool)


def _utility(contributors: list[list[Record]], val: list[Record], pool: list[Record]) -> float:
    """Validation log-likelihood of one model trained on pool + every given contributor,
    built from scratch (no count arithmetic shared with influence.py)."""
    problem = _problem([[r for c in contributors for r in c]], val, pool)
    return float(problem.bind(torch.device("cpu")).utilities(np.ones((1, 1), np.bool_))[0])


def _task(seed: int = 11) -> tuple[list[list[Record]], list[Record], list[Record]]:
    rng = np.random.default_rng(seed)
    contributors = [chat_records(rng, 3) for _ in range(5)]
    contributors.append(shuffled_records(chat_records(rng, 3), rng))
    return contributors, chat_records(rng, 6), chat_records(rng, 2)


# --- hostile ---------------------------------------------------------------------------------


def test_empty_contributor_is_worth_exactly_zero() -> None:
    contributors, val, pool = _task()
    contributors.insert(2, [])
    for f in (1.0, 0.5, 0.0):
        values = removal_effects(_problem(contributors, val, pool), f)
        assert values[2] == 0.0
        assert np.count_nonzero(values) == len(contributors) - 1


def test_no_contributors_and_no_validation_ngrams() -> None:
    _, val, pool = _task()
    assert loo_values(_problem([], val, pool)).shape == (0,)
    problem = _problem([[Record("abc")]], val, pool)
    blank = NgramProblem(
        counts=problem.counts[:, :0],
        pool=problem.pool[:0],
        gram_cols=problem.gram_cols[:, :0],
        ctx_cols=problem.ctx_cols[:, :0],
        weights=problem.weights[:0],
        vocab=problem.vocab,
        smoothing=problem.smoothing,
        token_sizes=problem.token_sizes,
        pool_tokens=problem.pool_tokens,
    )
    assert loo_values(blank).tolist() == [0.0]


@pytest.mark.parametrize("fraction", [-0.1, 1.5, float("nan"), float("inf")])
def test_bad_base_fraction_is_refused(fraction: float) -> None:
    contributors, val, pool = _task()
    with pytest.raises(SpecError):
        removal_effects(_problem(contributors, val, pool), fraction)


def test_bad_chunk_is_refused() -> None:
    contributors, val, pool = _task()
    with pytest.raises(SpecError):
        loo_values(_problem(contributors, val, pool), chunk=0)


def test_redundant_contributor_is_worth_less_than_alone() -> None:
    """B's records are a subset of A's: every n-gram B has also appears elsewhere. LOO then
    says B adds only a little more evidence for n-grams already counted: less than B is worth
    without A, still a finite number (no division by zero, no NaN)."""
    contributors, val, pool = _task()
    a = contributors[0]
    b = a[:2]
    with_a = loo_values(_problem([*contributors, b], val, pool))[-1]
    without_a = loo_values(_problem([*contributors[1:], b], val, pool))[-1]
    assert np.isfinite(with_a)
    assert np.isfinite(without_a)
    assert 0.0 < with_a < without_a


def test_copies_get_identical_values_each_below_the_original_alone() -> None:
    """Two copies of one contributor: both get the bit-identical value, smaller than the
    original alone (removing one copy leaves the other). The duplicate checks (checks.py) drop
    contested records before valuation, so copies never reach this module in an epoch."""
    contributors, val, pool = _task()
    alone = loo_values(_problem(contributors, val, pool))
    copied = loo_values(_problem([*contributors, list(contributors[0])], val, pool))
    assert copied[0] == copied[-1]
    assert copied[0] < alone[0]


def test_chunking_never_changes_a_value() -> None:
    contributors, val, pool = _task()
    problem = _problem(contributors, val, pool)
    for f in (1.0, 0.5):
        ref = removal_effects(problem, f)
        for chunk in (1, 4, 1000):
            assert removal_effects(problem, f, chunk=chunk).tobytes() == ref.tobytes()


def test_loo_estimate_refuses_other_models() -> None:
    class NotCounts:
        n_contributors = 1

    with pytest.raises(SpecError):
        loo_estimate(NotCounts(), 0.0)  # type: ignore[arg-type]


def test_loo_estimate_is_exact() -> None:
    contributors, val, pool = _task()
    problem = _problem(contributors, val, pool)
    est = loo_estimate(problem, -2.5)
    assert est.values.tobytes() == loo_values(problem).tobytes()
    assert np.all(est.stderr == 0.0)
    assert est.intercept == -2.5


# --- happy path ------------------------------------------------------------------------------


def test_loo_matches_brute_force_rebuild() -> None:
    contributors, val, pool = _task()
    got = loo_values(_problem(contributors, val, pool))
    full = _utility(contributors, val, pool)
    for j in range(len(contributors)):
        rest = contributors[:j] + contributors[j + 1 :]
        assert got[j] == pytest.approx(full - _utility(rest, val, pool), abs=1e-9)


def test_mean_field_matches_brute_force_on_doubled_counts() -> None:
    """With base fraction 1/2, ``2 * (pool + (T - c_j)/2 + c_j)`` is the counts of the pool
    twice, the others once and j twice; with smoothing doubled the model's probabilities are
    unchanged by that scaling, so a rebuild with duplicated records checks the arithmetic."""
    contributors, val, pool = _task()
    got = removal_effects(_problem(contributors, val, pool), 0.5)
    spec2 = ValuationSpec(featurizer=SPEC.featurizer, training=TrainSpec(smoothing=1.4))

    def u(records: list[Record]) -> float:
        p = build_ngram_problem(spec2, [records], val, [])
        return float(p.bind(torch.device("cpu")).utilities(np.ones((1, 1), np.bool_))[0])

    for j in range(len(contributors)):
        others = [r for i, c in enumerate(contributors) if i != j for r in c]
        base = [*pool, *pool, *others]
        want = u([*base, *contributors[j], *contributors[j]]) - u(base)
        assert got[j] == pytest.approx(want, abs=1e-9)


def test_noise_is_valued_below_every_clean_contributor() -> None:
    contributors, val, pool = _task()
    problem = _problem(contributors, val, pool)
    for f in (1.0, 0.5):
        values = removal_effects(problem, f)
        assert values[-1] < 0.0  # shuffled bytes hurt the model
        assert values[-1] < values[:-1].min()
        assert np.all(values[:-1] > 0.0)
