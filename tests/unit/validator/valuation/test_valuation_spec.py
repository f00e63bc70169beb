"""ValuationSpec: canonical form, digest stability, refusal of unknown or unsafe values."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

import pytest

from validator.valuation.errors import SpecError
from validator.valuation.spec import CheckSpec, FeaturizerSpec, TrainSpec, ValuationSpec


def test_digest_is_sha256_of_canonical_json() -> None:
    spec = ValuationSpec()
    assert spec.digest() == "0x" + hashlib.sha256(spec.canonical_json().encode()).hexdigest()
    assert " " not in spec.canonical_json()


def test_default_digest_is_pinned() -> None:
    # Changing any default changes every registered digest: make that a deliberate act.
    assert ValuationSpec().digest() == PINNED_DEFAULT_DIGEST


@pytest.mark.parametrize(
    "change",
    [
        {"n_models": 130},
        {"decimals": 5},
        {"model_chunk": 8},
        {"training": TrainSpec(steps=101)},
        {"training": TrainSpec(smoothing=0.5)},
        {"featurizer": FeaturizerSpec(order=4)},
        {"curve_fractions": (0.5, 1.0)},
        {"antithetic": False},
        {"checks": CheckSpec(containment_margin=0.3)},
        {"checks": CheckSpec(containment_margin=None)},
        {"checks": CheckSpec(containment_mean=0.1)},
        {"checks": CheckSpec(containment_min_reference=10)},
        {"max_models": 1024},
        {"stable_l1": 0.02},
    ],
)
def test_every_knob_changes_the_digest(change: dict[str, Any]) -> None:
    assert dataclasses.replace(ValuationSpec(), **change).digest() != ValuationSpec().digest()


@pytest.mark.parametrize(
    "checks", [{"containment_margin": 0.0}, {"containment_margin": 1.5}, {"containment_mean": 0}]
)
def test_containment_thresholds_out_of_range_are_refused(checks: dict[str, object]) -> None:
    with pytest.raises(SpecError):
        ValuationSpec.from_dict({"checks": checks})


@pytest.mark.parametrize(
    "raw", [{"max_models": 64}, {"max_models": 1025}, {"stable_l1": 0}, {"stable_l1": 2.5}]
)
def test_adaptive_m_out_of_range_is_refused(raw: dict[str, object]) -> None:
    with pytest.raises(SpecError):
        ValuationSpec.from_dict(raw)


def test_json_round_trip_keeps_digest() -> None:
    spec = ValuationSpec(model="neural", training=TrainSpec(hidden=8), n_models=32)
    again = ValuationSpec.from_json(json.dumps(spec.to_dict()))
    assert again == spec
    assert again.digest() == spec.digest()


def test_partial_json_fills_defaults() -> None:
    spec = ValuationSpec.from_json('{"n_models": 32, "featurizer": {"order": 4}}')
    assert spec.n_models == 32
    assert spec.featurizer.order == 4


@pytest.mark.parametrize(
    "raw",
    [
        '{"n_modles": 32}',
        '{"featurizer": {"orderr": 3}}',
        '{"version": 2}',
        '{"model": "gpt"}',
        '{"training": {"precision": "fp16"}}',
        '{"model": "classifier"}',
        '{"n_models": 1}',
        '{"n_models": 33}',
        '{"curve_fractions": [0.0]}',
        "[1, 2]",
        "not json",
    ],
)
def test_bad_specs_are_refused(raw: str) -> None:
    with pytest.raises(SpecError):
        ValuationSpec.from_json(raw)


PINNED_DEFAULT_DIGEST = "0x667febdfab98fde5809ca068ee29bdce58afd5fbca89f6a007c16ba2f6e183c2"
