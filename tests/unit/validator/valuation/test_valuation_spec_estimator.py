"""ValuationSpec.estimator: additive, refused where it is not exact, digests unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from validator.valuation.errors import SpecError
from validator.valuation.spec import FeaturizerSpec, ValuationSpec

DEVNET = Path(__file__).resolve().parents[4] / "node" / "devnet" / "valuation-spec.json"


def test_unknown_estimator_is_refused() -> None:
    with pytest.raises(SpecError):
        ValuationSpec.from_dict({"estimator": "shapley"})


def test_loo_is_refused_for_models_it_is_not_exact_for() -> None:
    with pytest.raises(SpecError):
        ValuationSpec(model="neural", estimator="loo")
    with pytest.raises(SpecError):
        ValuationSpec(
            model="classifier",
            featurizer=FeaturizerSpec(kind="hashed-ngrams"),
            estimator="loo",
        )


def test_default_keeps_existing_digests() -> None:
    raw = json.loads(DEVNET.read_text())
    raw.pop("estimator", None)
    raw.pop("loo_above", None)
    spec = ValuationSpec.from_dict(raw)
    assert spec.estimator == "banzhaf"
    assert "estimator" not in json.loads(spec.canonical_json())
    assert spec.canonical_json() == json.dumps(raw, sort_keys=True, separators=(",", ":"))


def test_devnet_spec_switches_to_loo_for_large_epochs() -> None:
    """The devnet's spec file is canonical and uses ``auto`` (Banzhaf for the demo's few
    contributors, leave-one-out for an epoch of thousands of files)."""
    raw = json.loads(DEVNET.read_text())
    spec = ValuationSpec.from_dict(raw)
    assert (spec.estimator, spec.loo_above) == ("auto", 512)
    assert spec.canonical_json() == json.dumps(raw, sort_keys=True, separators=(",", ":"))


def test_loo_round_trips_and_changes_the_digest() -> None:
    loo = ValuationSpec(estimator="loo")
    assert json.loads(loo.canonical_json())["estimator"] == "loo"
    assert ValuationSpec.from_json(loo.canonical_json()) == loo
    assert loo.digest() != ValuationSpec().digest()
