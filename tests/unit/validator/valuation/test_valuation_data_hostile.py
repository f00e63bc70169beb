"""Contributor files read by ``datadao value`` (validator.valuation.data): every way the bytes can
be wrong is a DataFormatError naming the line, and a contributor's bad file is recorded as
``malformed`` on its Contribution, never an exception out of the loader."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validator.valuation.data import load_contributions, parse_jsonl
from validator.valuation.errors import DataFormatError

HOSTILE = {
    "deep nesting": b'{"text":' + b"[" * 100_000 + b"}\n",
    "deep nesting after a string": b'{"t":"[[[","text":' + b"[{" * 50_000 + b"}\n",
    "deep nesting on line 1 of 2": b'{"text":' + b"[" * 100 + b"]" * 100 + b"}\n{}\n",
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


def test_deep_nesting_is_refused_without_the_json_decoder_in_a_web3_process() -> None:
    """py_ecc (imported with web3) raises the recursion limit to 100,000, so the C JSON decoder
    overflows the C stack on 100,000 nested brackets and the process dies with SIGSEGV instead
    of raising RecursionError. In such a process, the guard must refuse the line first."""
    code = (
        "import py_ecc, sys\n"
        "assert sys.getrecursionlimit() >= 100000\n"
        "from validator.valuation.data import parse_jsonl\n"
        "from validator.valuation.errors import DataFormatError\n"
        "try:\n"
        "    parse_jsonl(b'{\"text\":' + b'[' * 200000 + b']' * 200000 + b'}\\n')\n"
        "except DataFormatError as err:\n"
        "    print('refused:', err)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "refused: line 1: nested deeper than" in out.stdout
