"""Hostile canonical JSONL: ``load_canonical`` either refuses with a typed ParseError naming the
line, or returns an export whose canonical bytes are exactly the input. Nothing else comes out.

Validators call ``load_canonical`` on plaintext that a contributor sealed, so every input here is
one an attacker could register: random bytes, random JSON, valid files with bytes flipped, lines
swapped or fields retyped, deep nesting, huge numbers, NaN, duplicate keys, foreign encodings.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.errors import ParseError
from node.parsers import Limits, ParsedExport, Record, canonicalize, load_canonical
from node.parsers import errors as e

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FILE = "<fuzz>"

strings = st.text(max_size=20)
records = st.builds(
    Record,
    id=st.text(min_size=1, max_size=10),
    timestamp=st.none()
    | st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(9999, 1, 1), timezones=st.just(UTC)
    ),
    kind=st.sampled_from(["message", "comment", "tweet", "café"]),
    text=strings,
    author=st.none() | st.sampled_from(["user", "self", ""]),
    thread=st.none() | strings,
)
exports = st.builds(
    ParsedExport,
    platform=st.sampled_from(["chatgpt", "telegram"]),
    account=st.none() | strings,
    records=st.lists(records, max_size=8).map(tuple),
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)


def header(records: int, **fields: object) -> bytes:
    head: dict[str, object] = {"account": None, "format": "datadao.export/1", "platform": "chatgpt"}
    head.update(fields)
    head["records"] = records
    return json.dumps(head, sort_keys=True, separators=(",", ":")).encode() + b"\n"


GOOD = {
    "author": "user",
    "id": "c1:m1",
    "kind": "message",
    "text": "hi",
    "thread": "c1",
    "ts": "2023-11-14T22:13:20.500000Z",
}


def row(**changes: object) -> bytes:
    obj = {**GOOD, **changes}
    return (
        json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
    )


def loads_or_refuses(data: bytes, limits: Limits | None = None) -> ParsedExport | None:
    """The property: a typed, located refusal, or an export that re-canonicalizes to ``data``."""
    try:
        export = load_canonical(data, file=FILE, limits=limits)
    except ParseError as err:
        refusal: ParseError = err
    else:
        assert canonicalize(export).data == data
        return export
    assert isinstance(refusal, e.ExportError), type(refusal)
    assert refusal.file == FILE
    assert refusal.line is not None or isinstance(refusal, e.TooManyRecords)
    assert "\n" not in str(refusal)
    return None


# --- properties -------------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_never_crash(data: bytes) -> None:
    loads_or_refuses(data)


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes_after_a_valid_header_never_crash(tail: bytes) -> None:
    loads_or_refuses(header(tail.count(b"\n")) + tail)


@FUZZ
@given(st.lists(json_values, min_size=1, max_size=4))
def test_random_json_lines_never_crash(values: list[object]) -> None:
    lines = [json.dumps(v, sort_keys=True, separators=(",", ":")).encode() for v in values]
    loads_or_refuses(b"\n".join(lines) + b"\n")
    loads_or_refuses(header(len(lines)) + b"\n".join(lines) + b"\n")


@FUZZ
@given(st.dictionaries(st.sampled_from([*GOOD, "extra", "Text"]), json_values, max_size=8))
def test_records_with_random_keys_and_values_never_crash(obj: dict[str, object]) -> None:
    line = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    loads_or_refuses(header(1) + line.encode() + b"\n")


@FUZZ
@given(exports, st.data())
def test_mutated_valid_files_are_refused_or_still_canonical(
    export: ParsedExport, data: st.DataObject
) -> None:
    blob = bytearray(canonicalize(export).data)
    mutation = data.draw(st.sampled_from(["flip", "insert", "delete", "swap", "duplicate"]))
    if mutation in ("flip", "insert", "delete"):
        at = data.draw(st.integers(0, len(blob) - 1))
        if mutation == "flip":
            blob[at] ^= 1 << data.draw(st.integers(0, 7))
        elif mutation == "insert":
            blob[at:at] = data.draw(st.binary(min_size=1, max_size=4))
        else:
            del blob[at : at + data.draw(st.integers(1, 4))]
    else:
        lines = bytes(blob).split(b"\n")[:-1]
        i = data.draw(st.integers(0, len(lines) - 1))
        j = data.draw(st.integers(0, len(lines) - 1))
        if mutation == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines.insert(j, lines[i])
        blob = bytearray(b"\n".join(lines) + b"\n")
    loads_or_refuses(bytes(blob))


@settings(max_examples=100, deadline=None)
@given(exports)
def test_valid_files_round_trip(export: ParsedExport) -> None:
    canon = canonicalize(export)
    loaded = loads_or_refuses(canon.data)
    assert loaded is not None
    assert len(loaded.records) == len(export.records)
    assert loaded.platform == export.platform


# --- each hostile shape gets its exact typed error and line ----------------------------------


@pytest.mark.parametrize(
    ("data", "error", "line"),
    [
        pytest.param(header(1) + row(ts=5), e.InvalidStructure, 2, id="ts-int"),
        pytest.param(header(1) + row(ts="yesterday"), e.InvalidTimestamp, 2, id="ts-not-iso"),
        pytest.param(
            header(1) + row(ts="2023-02-30T00:00:00.000000Z"), e.InvalidTimestamp, 2, id="ts-feb30"
        ),
        pytest.param(
            header(1) + row(ts="2023-11-14T22:13:20+00:00"), e.InvalidTimestamp, 2, id="ts-layout"
        ),
        pytest.param(header(1) + row(text=[1, 2]), e.InvalidStructure, 2, id="text-list"),
        pytest.param(header(1) + row(text=None), e.InvalidStructure, 2, id="text-null"),
        pytest.param(header(1) + row(id=7), e.InvalidStructure, 2, id="id-int"),
        pytest.param(header(1) + row(author={"a": 1}), e.InvalidStructure, 2, id="author-obj"),
        pytest.param(header(1) + row(thread=True), e.InvalidStructure, 2, id="thread-bool"),
        pytest.param(
            b'{"account":null,"format":"datadao.export/1","records":0}\n',
            e.InvalidStructure,
            1,
            id="no-platform",
        ),
        pytest.param(header(0, platform=3), e.InvalidStructure, 1, id="platform-int"),
        pytest.param(header(0, account=["x"]), e.InvalidStructure, 1, id="account-list"),
        pytest.param(header(0, extra=1), e.InvalidStructure, 1, id="header-extra-key"),
        pytest.param(header(1) + row(extra="x"), e.InvalidStructure, 2, id="record-extra-key"),
        pytest.param(
            header(1) + b'{"author":null,"id":"a","kind":"m","text":"x","thread":null}\n',
            e.InvalidStructure,
            2,
            id="record-missing-key",
        ),
        pytest.param(header(1) + b"[1,2]\n", e.InvalidStructure, 2, id="record-array"),
        pytest.param(
            b'{"account":null,"format":"datadao.export/1","platform":"p","records":true}\n',
            e.InvalidStructure,
            1,
            id="records-bool",
        ),
        pytest.param(header(2) + row(), e.InvalidStructure, 1, id="count-mismatch"),
        pytest.param(
            b'{"account":null,"format":"datadao.export/1","platform":"p","records":'
            + b"9" * 5000
            + b"}\n",
            e.MalformedJSON,
            1,
            id="huge-int",
        ),
        pytest.param(
            b'{"account":null,"format":"datadao.export/1","platform":"p","records":NaN}\n',
            e.MalformedJSON,
            1,
            id="nan",
        ),
        pytest.param(header(1) + row()[:-2] + b',"id":-Infinity}\n', e.MalformedJSON, 2, id="inf"),
        pytest.param(
            header(1) + row()[:-2] + b',"id":"again"}\n', e.MalformedJSON, 2, id="dup-key"
        ),
        pytest.param(
            header(1) + b"[" * 100_000 + b"]" * 100_000 + b"\n", e.MalformedJSON, 2, id="deep"
        ),
        pytest.param(
            header(1) + b'{"a":' * 50_000 + b"1" + b"}" * 50_000 + b"\n",
            e.MalformedJSON,
            2,
            id="deep-objects",
        ),
        pytest.param(
            header(1) + row(text="café"),
            None,
            0,
            id="ok-nonascii",
        ),
        pytest.param(header(1) + row(text="cafe\u0301"), e.NotCanonical, 2, id="not-nfc"),
        pytest.param(
            header(1) + row().replace(b'"hi"', b'"\\ud800"'), e.NotCanonical, 2, id="lone-surrogate"
        ),
        pytest.param(header(1) + row()[:-1] + b" \n", e.NotCanonical, 2, id="trailing-space"),
        pytest.param(header(2) + row(id="b") + row(id="a"), e.NotCanonical, 3, id="out-of-order"),
        pytest.param(header(1) + row().replace(b"hi", b"h\\u0069"), e.NotCanonical, 2, id="escape"),
        pytest.param(b"\xef\xbb\xbf" + header(0), e.MalformedJSON, 1, id="bom"),
        pytest.param(
            b"\xfe\xff" + header(0).decode().encode("utf-16-be"), e.InvalidEncoding, 1, id="utf-16"
        ),
        pytest.param(header(1) + b'{"text":"\xff"}\n', e.InvalidEncoding, 2, id="bad-utf8"),
        pytest.param(header(0)[:-1], e.InvalidStructure, 1, id="no-final-newline"),
    ],
)
def test_hostile_canonical_gets_a_typed_error_on_its_line(
    data: bytes, error: type[e.ExportError] | None, line: int
) -> None:
    if error is None:
        assert loads_or_refuses(data) is not None
        return
    with pytest.raises(error) as info:
        load_canonical(data, file=FILE)
    assert info.value.line == line
    assert f"line {line}" in str(info.value)


def test_invalid_utf8_names_the_byte() -> None:
    data = header(1) + b'{"text":"\xff"}\n'
    with pytest.raises(e.InvalidEncoding) as info:
        load_canonical(data)
    assert info.value.offset == data.index(b"\xff")


def test_lines_and_record_counts_are_capped() -> None:
    limits = Limits(max_record_bytes=10, max_records=2)
    with pytest.raises(e.RecordTooLarge):
        load_canonical(header(1) + row(text="x" * 5000), limits=limits)
    with pytest.raises(e.TooManyRecords):
        load_canonical(header(3) + row() * 3, limits=limits)
    # The default cap admits what canonicalize writes from a record at the parsers' own cap.
    big = "\x01" * 1000
    export = ParsedExport("p", None, (Record(big, None, "m", big, thread=big),))
    data = canonicalize(export).data
    assert load_canonical(data, limits=Limits(max_record_bytes=2000)).records[0].text == big
