"""Adaptive M (issue #18: pay depended on the epoch seed at M = 128): the pipeline doubles M
along the same counter-based masks until the predicted seed-to-seed L1 of the shares meets the
spec's target, and every validator stops at the same M."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from validator.valuation.backends import LocalBackend
from validator.valuation.estimator import predicted_l1
from validator.valuation.pipeline import value_epoch
from validator.valuation.spec import ValuationSpec

CPU = LocalBackend("cpu", threads=1)


def test_predicted_l1_edges() -> None:
    assert predicted_l1(np.array([-1.0, -2.0]), np.array([0.1, 0.1])) == 0.0  # nobody is paid
    assert math.isinf(predicted_l1(np.array([1.0, 0.5]), np.array([np.inf, 0.1])))
    # a clearly negative contributor cannot be paid under another seed: it does not count
    assert predicted_l1(np.array([1.0, -5.0]), np.array([0.1, 0.1])) == predicted_l1(
        np.array([1.0]), np.array([0.1])
    )


def test_predicted_l1_falls_with_stderr() -> None:
    v = np.array([1.0, 2.0, 3.0])
    assert predicted_l1(v, v * 0.01) < predicted_l1(v, v * 0.1)
    assert predicted_l1(v, np.full(3, 0.06)) == 2 / math.sqrt(math.pi) * 0.18 / 6.0


def test_adaptive_m_grows_and_equals_a_fixed_run_at_that_m(chat_task, ngram_spec, seed) -> None:  # type: ignore[no-untyped-def]
    contribs, val, pool, _ = chat_task
    adaptive = dataclasses.replace(ngram_spec, n_models=16, max_models=1024, stable_l1=0.03)
    a = value_epoch(adaptive, contribs, val, pool, seed, CPU)
    assert a.n_models_used > 16
    assert a.n_models_used <= 1024
    assert a.predicted_l1 <= 0.03 or a.n_models_used == 1024
    # Same bits as a validator that fixed M there: the later masks extend the same sequence.
    fixed = dataclasses.replace(ngram_spec, n_models=a.n_models_used, max_models=0)
    b = value_epoch(fixed, contribs, val, pool, seed, CPU)
    assert a.bps == b.bps
    assert [c.value for c in a.contributors] == [c.value for c in b.contributors]
    # and again: deterministic
    assert value_epoch(adaptive, contribs, val, pool, seed, CPU).bps == a.bps


def test_the_cap_stops_the_rule(chat_task, ngram_spec, seed) -> None:  # type: ignore[no-untyped-def]
    contribs, val, pool, _ = chat_task
    tight = dataclasses.replace(ngram_spec, n_models=16, max_models=64, stable_l1=1e-9)
    assert value_epoch(tight, contribs, val, pool, seed, CPU).n_models_used == 64
    fixed = dataclasses.replace(ngram_spec, n_models=16, max_models=0)
    assert value_epoch(fixed, contribs, val, pool, seed, CPU).n_models_used == 16


def test_default_spec_keeps_m_fixed() -> None:
    assert ValuationSpec().max_models == 0
