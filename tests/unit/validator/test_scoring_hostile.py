"""Hostile contributor files through ``score_epoch``: whatever a contributor registers, the epoch
is scored, that file scores 0 with a flag saying why, and the honest files keep their values.

The daemon does not rely on the canonical loader being perfect: a loader that raises anything at
all (simulated by replacing it) still gives a flagged 0, never an exception out of the scorer.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import py_ecc  # noqa: F401 - raises the recursion limit to 100,000, as in every web3 process
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.parsers.base import ParsedExport
from node.parsers.base import Record as ExportRecord
from node.parsers.canonical import canonicalize, load_canonical
from validator.daemon.scoring import (
    ContributorFileError,
    EpochScores,
    FileInput,
    read_contribution,
    score_epoch,
)
from validator.valuation.backends import LocalBackend
from validator.valuation.spec import FeaturizerSpec, ValuationSpec
from validator.valuation.synthetic import chat_records

CPU = LocalBackend("cpu", threads=1)
SEED = bytes(range(32))
SPEC = ValuationSpec(
    model="ngram", featurizer=FeaturizerSpec(kind="bytes", order=2), n_models=8, model_chunk=8
)
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
HOSTILE_ID = b"\xee" * 32
LOADER = "validator.daemon.scoring.load_canonical"  # the name score_epoch calls


def _canonical(texts: list[str], account: str) -> bytes:
    export = ParsedExport(
        platform="chatgpt",
        account=account,
        records=tuple(
            ExportRecord(
                id=f"{account}-{i}",
                timestamp=None,
                kind="message",
                text=t,
                author="user",
                thread=None,
            )
            for i, t in enumerate(texts)
        ),
    )
    return canonicalize(export).data


_rng = np.random.default_rng(3)
VALIDATION = _canonical([r.text for r in chat_records(_rng, 30)], "dao")
HONEST = [
    FileInput(bytes([i]) * 32, _canonical([r.text for r in chat_records(_rng, 12)], f"h{i}"))
    for i in (1, 2)
]


def _line(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode() + b"\n"


HEAD = {"account": None, "format": "datadao.export/1", "platform": "chatgpt", "records": 1}
ROW = {"author": "user", "id": "x", "kind": "message", "text": "hi", "thread": None, "ts": None}
NAMED_HOSTILE = {
    "ts is a number": _line(HEAD) + _line({**ROW, "ts": 5}),
    "header without platform": _line({k: v for k, v in HEAD.items() if k != "platform"})
    + _line(ROW),
    "10,000-deep nesting": _line(HEAD) + b'{"text":' + b"[" * 10_000 + b"]" * 10_000 + b"}\n",
    # with py_ecc's recursion limit (below) this killed the process in the C JSON decoder
    "200,000-deep nesting": _line(HEAD) + b'{"text":' + b"[" * 200_000 + b"]" * 200_000 + b"}\n",
    "nested in the header": b'{"account":' + b"{" * 50 + b"}" * 50 + b"}\n",
    "text is a list": _line(HEAD) + _line({**ROW, "text": [1, 2]}),
    "huge integer": _line(HEAD) + b'{"text":' + b"9" * 5_000 + b"}\n",
    "not UTF-8": _line(HEAD) + b'{"text":"\xff\xfe"}\n',
    "empty": b"",
    "no newline": b"{",
    "NaN record count": _line(HEAD).replace(b'"records":1', b'"records":NaN') + _line(ROW),
}


def _epoch_with(hostile: bytes) -> EpochScores:
    files = [HONEST[0], FileInput(HOSTILE_ID, hostile), HONEST[1]]
    return score_epoch(files, VALIDATION, SPEC, SEED, CPU)


def _assert_flagged_zero(s: EpochScores) -> None:
    by = dict(zip(s.file_ids, s.scores_bps, strict=True))
    assert by[HOSTILE_ID] == 0
    assert s.reasons[HOSTILE_ID.hex()]  # the zero says why
    assert sum(s.scores_bps) == 10_000  # the honest files share the whole epoch


@pytest.fixture(scope="module")
def baseline() -> dict[bytes, int]:
    """The honest files' scores in an epoch without the hostile file."""
    s = score_epoch(HONEST, VALIDATION, SPEC, SEED, CPU)
    return dict(zip(s.file_ids, (int(b) for b in s.scores_bps), strict=True))


@pytest.mark.parametrize("name", sorted(NAMED_HOSTILE))
def test_named_hostile_files_score_zero_and_change_nobody_else(
    name: str, baseline: dict[bytes, int]
) -> None:
    s = _epoch_with(NAMED_HOSTILE[name])
    _assert_flagged_zero(s)
    assert s.reasons[HOSTILE_ID.hex()].startswith("malformed: not canonical JSONL"), name
    by = dict(zip(s.file_ids, s.scores_bps, strict=True))
    assert {f.file_id: by[f.file_id] for f in HONEST} == baseline


@pytest.mark.parametrize(
    "exc",
    [
        TypeError("unhashable"),
        KeyError("text"),
        RecursionError("deep"),
        ValueError("4300 digits"),
        AttributeError("x"),
        MemoryError(),
        UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"),
        IndexError("list"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_loader_that_raises_anything_still_gives_a_flagged_zero(
    exc: Exception, monkeypatch: pytest.MonkeyPatch, baseline: dict[bytes, int]
) -> None:
    """The daemon must not rely on the loader: a bug that lets a raw exception through costs
    only the file that triggered it."""
    real = load_canonical

    def buggy(data: bytes, *, file: str = "<canonical>") -> ParsedExport:
        if file == HOSTILE_ID.hex():
            raise exc
        return real(data, file=file)

    monkeypatch.setattr(LOADER, buggy)
    s = _epoch_with(NAMED_HOSTILE["ts is a number"])
    _assert_flagged_zero(s)
    assert f"unreadable ({type(exc).__name__}" in s.reasons[HOSTILE_ID.hex()]
    by = dict(zip(s.file_ids, s.scores_bps, strict=True))
    assert {f.file_id: by[f.file_id] for f in HONEST} == baseline


def test_read_contribution_raises_only_the_typed_error() -> None:
    with pytest.raises(ContributorFileError) as info:
        read_contribution("ab", NAMED_HOSTILE["text is a list"])
    assert info.value.file_id == "ab"
    assert "line 2" in info.value.reason  # it names where, never the data
    assert "[1, 2]" not in str(info.value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
row_fields = st.fixed_dictionaries(
    {},
    optional=dict.fromkeys(("author", "id", "kind", "text", "thread", "ts", "extra"), json_values),
)


def _mutate(base: bytes, data: st.DataObject) -> bytes:
    out = bytearray(base)
    for _ in range(data.draw(st.integers(1, 4))):
        if not out:
            break
        i = data.draw(st.integers(0, len(out) - 1))
        op = data.draw(st.sampled_from(["flip", "cut", "dup", "insert"]))
        if op == "flip":
            out[i] ^= 1 << data.draw(st.integers(0, 7))
        elif op == "cut":
            del out[i:]
        elif op == "dup":
            out[i:i] = out[i : i + data.draw(st.integers(1, 16))]
        else:
            out[i:i] = data.draw(st.binary(min_size=1, max_size=8))
    return bytes(out)


hostile_files = st.one_of(
    st.binary(max_size=300),
    st.lists(row_fields, max_size=3).map(
        lambda rows: _line({**HEAD, "records": len(rows)}) + b"".join(_line(r) for r in rows)
    ),
    st.lists(json_values, max_size=3).map(lambda xs: b"".join(_line(x) for x in xs)),
)


@FUZZ
@given(hostile=hostile_files)
def test_random_files_only_give_flagged_zeros(hostile: bytes) -> None:
    s = _epoch_with(hostile)
    by = dict(zip(s.file_ids, s.scores_bps, strict=True))
    assert set(by) == {HONEST[0].file_id, HOSTILE_ID, HONEST[1].file_id}
    assert sum(s.scores_bps) in (0, 10_000)
    if by[HOSTILE_ID] == 0:
        assert s.reasons[HOSTILE_ID.hex()]


@FUZZ
@given(data=st.data())
def test_mutated_honest_files_only_give_flagged_zeros_or_a_valued_file(data: st.DataObject) -> None:
    """A flipped, cut or padded copy of a real canonical file either still loads (and is valued
    like any file) or is flagged; nothing escapes."""
    assert HONEST[1].plaintext is not None
    hostile = _mutate(HONEST[1].plaintext, data)
    s = _epoch_with(hostile)
    by = dict(zip(s.file_ids, s.scores_bps, strict=True))
    if by[HOSTILE_ID] == 0:
        assert s.reasons[HOSTILE_ID.hex()]
    assert all(b >= 0 for b in s.scores_bps)


@settings(max_examples=25, deadline=None)
@given(failure=st.text(min_size=1, max_size=40))
def test_unavailable_files_carry_their_reason(failure: str) -> None:
    files: list[FileInput] = [*HONEST, FileInput(HOSTILE_ID, failure=failure)]
    s = score_epoch(files, VALIDATION, SPEC, SEED, CPU)
    assert s.reasons[HOSTILE_ID.hex()] == failure
    assert dict(zip(s.file_ids, s.scores_bps, strict=True))[HOSTILE_ID] == 0


def _raises_typed(f: Callable[[], object]) -> None:
    from node.errors import ValuationError

    with pytest.raises(ValuationError):
        f()


def test_a_broken_validation_set_is_a_typed_scoring_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def buggy(data: bytes, *, file: str = "<canonical>") -> ParsedExport:
        raise TypeError("loader bug")

    monkeypatch.setattr(LOADER, buggy)
    _raises_typed(lambda: score_epoch(HONEST, VALIDATION, SPEC, SEED, CPU))
