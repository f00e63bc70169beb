"""Contributor files read by ``datadao value`` (validator.valuation.data): every way the bytes can
be wrong is a DataFormatError naming the line, and a contributor's bad file is recorded as
``malformed`` on its Contribution, never an exception out of the loader."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validator.valuation.data import load_contributions, parse_jsonl
from validator.valuation.errors import DataFormatError

HOSTILE = {
    "deep nesting": b'{"text":' + b"[" * 100_000 + b"}\n",
    "huge integer label": b'{"text":"a","label":' + b"9" * 5_000 + b"}\n",
    "long integer label": b'{"text":"a","label":' + b"9" * 100 + b"}\n",
    "lone surrogate text": b'{"text":"\\ud800"}\n',
    "lone surrogate label": b'{"text":"a","label":"\\udfff"}\n',
    "not UTF-8": b'{"text":"\xff"}\n',
    "text is a list": b'{"text":[1,2]}\n',
    "label is a bool": b'{"text":"a","label":true}\n',
    "not an object": b"[1]\n",
    "not JSON": b"{\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_lines_are_data_format_errors(name: str) -> None:
    with pytest.raises(DataFormatError, match=r"line 1|UTF-8"):
        parse_jsonl(HOSTILE[name])


def test_hostile_contributor_files_are_recorded_not_raised(tmp_path: Path) -> None:
    for i, data in enumerate(HOSTILE.values()):
        (tmp_path / f"c{i:02d}.jsonl").write_bytes(data)
    (tmp_path / "good.jsonl").write_bytes(b'{"text":"fine","label":3}\n')
    out = {c.contributor: c for c in load_contributions(tmp_path)}
    assert out["good"].malformed is None
    assert out["good"].records[0].label == "3"
    bad = [c for k, c in out.items() if k != "good"]
    assert len(bad) == len(HOSTILE)
    assert all(c.malformed and not c.records for c in bad)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_random_bytes_parse_or_raise_data_format_error(raw: bytes) -> None:
    try:
        records = parse_jsonl(raw)
    except DataFormatError:
        return
    for r in records:
        r.text.encode("utf-8")  # whatever loads is usable by every featurizer
        assert r.label is None or isinstance(r.label, str)
