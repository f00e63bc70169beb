"""Kubo's own expected CIDs (data/kubo_cids.json, a verbatim copy of shared/vectors/kubo_cids.json,
sha256 645731331e8c37d30b4b5a7d508053fb29375499e64dc6eacd04b0f0f8800e92).

The slow vectors (256 MiB and 1 GiB) run under ``-m slow``.
"""

from __future__ import annotations

import pytest
from storage_testing import Vector, load_vectors

from node.storage.unixfs import import_stream

VECTORS = load_vectors()


def _params() -> list[object]:
    return [pytest.param(v, id=v.name, marks=[pytest.mark.slow] if v.slow else []) for v in VECTORS]


@pytest.mark.parametrize("vector", _params())
def test_importer_matches_kubo(vector: Vector) -> None:
    result = import_stream(vector.stream(), vector.layout)
    assert result.cid == vector.cid
    assert result.size == vector.size


def test_vector_file_has_fast_and_slow_cases() -> None:
    # Guards against the vector file being replaced by one whose every case is marked slow,
    # which would make CI pass vacuously.
    assert sum(not v.slow for v in VECTORS) >= 14
    assert sum(v.slow for v in VECTORS) >= 2
