"""Value estimation: how much each contributor's data improves a pinned proxy model.

The flow of one epoch (``pipeline.value_epoch``)::

    contributor files --data.py--> records --checks.py--> flags + kept records
        --ngram.py | neural.py | classifier.py--> a Problem (features computed once)
        --backends.py--> utilities of M subset models (masks.py, one tensor program per chunk)
        --estimator.py--> Data Banzhaf values (+ MSR cross-check)
        --scores.py--> integer basis points;  curve.py + report.py -> JSON and PNG label

Everything that changes a value is in a :class:`ValuationSpec` whose digest goes on chain; the
subsets come from the 32-byte epoch seed through the sha256 counter construction in masks.py,
so every honest validator trains the same models. ``datadao value`` (cli.py) runs it on a
folder of contributor JSONL files.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from validator.valuation.backends import LocalBackend, RayBackend, make_backend
    from validator.valuation.data import Contribution, Record, load_contributions, load_records
    from validator.valuation.pipeline import ContributorValue, ValuationResult, value_epoch
    from validator.valuation.spec import CheckSpec, FeaturizerSpec, TrainSpec, ValuationSpec

# Public name -> the submodule that defines it. Resolved on first access (PEP 562), because
# importing this package must stay cheap: ``datadao --help`` and every command that trains no
# model pass through it (``validator.valuation.cli_options``), and backends/pipeline import
# torch, which alone takes seconds.
_EXPORTS: dict[str, str] = {
    "LocalBackend": "backends",
    "RayBackend": "backends",
    "make_backend": "backends",
    "Contribution": "data",
    "Record": "data",
    "load_contributions": "data",
    "load_records": "data",
    "ContributorValue": "pipeline",
    "ValuationResult": "pipeline",
    "value_epoch": "pipeline",
    "CheckSpec": "spec",
    "FeaturizerSpec": "spec",
    "TrainSpec": "spec",
    "ValuationSpec": "spec",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


__all__ = [
    "CheckSpec",
    "Contribution",
    "ContributorValue",
    "FeaturizerSpec",
    "LocalBackend",
    "RayBackend",
    "Record",
    "TrainSpec",
    "ValuationResult",
    "ValuationSpec",
    "load_contributions",
    "load_records",
    "make_backend",
    "value_epoch",
]
