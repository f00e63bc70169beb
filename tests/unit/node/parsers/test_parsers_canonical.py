"""Canonical form: byte-exact, idempotent, independent of input order and Unicode normal form."""

from __future__ import annotations

import hashlib
import json
import random
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.parsers import ParsedExport, Record, canonicalize, load_canonical
from node.parsers.canonical import FORMAT
from node.parsers.errors import InvalidStructure, MalformedJSON

texts = st.text(max_size=40)
records = st.builds(
    Record,
    id=st.text(min_size=1, max_size=12),
    timestamp=st.none()
    | st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(9999, 1, 1), timezones=st.just(UTC)
    ),
    kind=st.sampled_from(["message", "comment", "post", "tweet", "café"]),
    text=texts,
    author=st.none() | st.sampled_from(["user", "assistant", "self", ""]),
    thread=st.none() | texts,
)
exports = st.builds(
    ParsedExport,
    platform=st.sampled_from(["chatgpt", "reddit"]),
    account=st.none() | texts,
    records=st.lists(records, max_size=25).map(tuple),
)


def _nfd(s: str | None) -> str | None:
    return None if s is None else unicodedata.normalize("NFD", s)


@settings(max_examples=150, deadline=None)
@given(exports)
def test_canonicalization_is_idempotent(export: ParsedExport) -> None:
    first = canonicalize(export)
    again = canonicalize(load_canonical(first.data))
    assert again.data == first.data
    assert again.commitment == first.commitment


@settings(max_examples=150, deadline=None)
@given(exports, st.randoms(use_true_random=False))
def test_canonical_bytes_do_not_depend_on_record_order(
    export: ParsedExport, rnd: random.Random
) -> None:
    shuffled = list(export.records)
    rnd.shuffle(shuffled)
    assert canonicalize(replace(export, records=tuple(shuffled))).data == canonicalize(export).data


@settings(max_examples=150, deadline=None)
@given(exports)
def test_canonical_bytes_are_nfc_stable(export: ParsedExport) -> None:
    decomposed = replace(
        export,
        account=_nfd(export.account),
        records=tuple(
            replace(r, id=_nfd(r.id) or "", text=_nfd(r.text) or "", thread=_nfd(r.thread))
            for r in export.records
        ),
    )
    data = canonicalize(decomposed).data
    assert data == canonicalize(export).data
    text = data.decode("utf-8")
    assert unicodedata.is_normalized("NFC", text)


@settings(max_examples=100, deadline=None)
@given(exports)
def test_lines_are_exactly_json_dumps_sorted_compact(export: ParsedExport) -> None:
    canon = canonicalize(export)
    assert canon.commitment == hashlib.sha256(canon.data).digest()
    lines = canon.data.decode().split("\n")
    assert lines[-1] == ""
    for line in lines[:-1]:
        obj = json.loads(line)
        assert line == json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert json.loads(lines[0])["records"] == len(export.records) == canon.records


def test_order_is_by_time_then_id_with_untimed_first() -> None:
    t = datetime(2024, 1, 1, tzinfo=UTC)
    rs = (
        Record("b", t, "m", "x"),
        Record("a", t, "m", "x"),
        Record("z", None, "m", "x"),
        Record("c", datetime(2023, 1, 1, tzinfo=UTC), "m", "x"),
    )
    canon = canonicalize(ParsedExport("p", None, rs))
    ids = [json.loads(line)["id"] for line in canon.data.splitlines()[1:]]
    assert ids == ["z", "c", "a", "b"]


def test_known_answer_vector() -> None:
    """Pinned bytes: a change here changes every contentCommitment ever registered."""
    export = ParsedExport(
        "chatgpt",
        "user-x",
        (
            Record(
                "c1:m2",
                datetime(2023, 11, 14, 22, 13, 21, tzinfo=UTC),
                "message",
                "Cafe\u0301 ok",
                "assistant",
                "c1",
            ),
            Record(
                "c1:m1",
                datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC),
                "message",
                "hi",
                "user",
                "c1",
            ),
        ),
    )
    canon = canonicalize(export)
    assert canon.data == (
        b'{"account":"user-x","format":"datadao.export/1","platform":"chatgpt","records":2}\n'
        b'{"author":"user","id":"c1:m1","kind":"message","text":"hi","thread":"c1",'
        b'"ts":"2023-11-14T22:13:20.500000Z"}\n'
        b'{"author":"assistant","id":"c1:m2","kind":"message","text":"Caf\xc3\xa9 ok",'
        b'"thread":"c1","ts":"2023-11-14T22:13:21.000000Z"}\n'
    )
    assert canon.commitment_hex == "0x" + hashlib.sha256(canon.data).hexdigest()
    assert FORMAT == "datadao.export/1"


def test_timestamps_in_other_zones_are_written_in_utc() -> None:
    from datetime import timedelta, timezone

    plus2 = timezone(timedelta(hours=2))
    a = ParsedExport("p", None, (Record("a", datetime(2024, 1, 1, 2, tzinfo=plus2), "m", "x"),))
    b = ParsedExport("p", None, (Record("a", datetime(2024, 1, 1, 0, tzinfo=UTC), "m", "x"),))
    assert canonicalize(a).data == canonicalize(b).data


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not json\n",
        b'{"format":"other/9","records":0}\n',
        b'{"format":"datadao.export/1","records":1}\n',
    ],
)
def test_load_canonical_refuses_foreign_bytes(data: bytes) -> None:
    with pytest.raises((InvalidStructure, MalformedJSON)):
        load_canonical(data)


def test_naive_timestamps_are_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Record("a", datetime(2024, 1, 1), "m", "x")
