"""The streaming JSON walker agrees with json.loads at every chunk size, and reports positions."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.parsers._stream import JsonCursor, iter_json, iter_lines, iter_text
from node.parsers.errors import InvalidEncoding, MalformedJSON, RecordTooLarge

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


def _cursor(data: bytes, chunk: int, max_chars: int = 1 << 20) -> JsonCursor:
    text = iter_text(io.BytesIO(data), file="f.json", chunk_size=chunk)
    return JsonCursor(text, file="f.json", max_value_chars=max_chars)


@settings(max_examples=200, deadline=None)
@given(st.lists(json_values, max_size=6), st.integers(1, 17), st.sampled_from([None, 0, 2]))
def test_array_elements_match_json_loads_at_any_chunk_size(
    items: list[Any], chunk: int, indent: int | None
) -> None:
    data = json.dumps(items, indent=indent, ensure_ascii=False).encode()
    got = [item.value for item in iter_json(_cursor(data, chunk), lambda p: p == ())]
    assert got == json.loads(data)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(max_size=4), json_values, max_size=5), st.integers(1, 9))
def test_descending_into_objects_yields_paths(obj: dict[str, Any], chunk: int) -> None:
    data = json.dumps({"outer": obj}).encode()
    got = {item.path: item.value for item in iter_json(_cursor(data, chunk), lambda p: len(p) < 2)}
    assert got == {("outer", k): v for k, v in obj.items()}


def test_item_line_and_column_point_at_the_value() -> None:
    data = b'[\n  1,\n  {"a": 2},\n    "x"\n]'
    items = list(iter_json(_cursor(data, 3), lambda p: p == ()))
    assert [(i.line, i.column) for i in items] == [(2, 3), (3, 3), (4, 5)]


@pytest.mark.parametrize("chunk", [1, 2, 5, 64])
@pytest.mark.parametrize(
    "text",
    [
        "[1, 2,, 3]",
        '[{"a": 1}\n {"b": 2}]',
        '[\n "unterminated',
        "[1, 2",
        "[1] [2]",
        '[{"a" 1}]',
        "[tru]",
    ],
)
def test_errors_match_the_standard_decoder_position(text: str, chunk: int) -> None:
    with pytest.raises(json.JSONDecodeError) as std:
        json.loads(text)
    with pytest.raises(MalformedJSON) as ours:
        list(iter_json(_cursor(text.encode(), chunk), lambda p: p == ()))
    # Our walker reports the structural token it stopped at; for errors inside one value the
    # C decoder's own position is used. Either way the line must agree, the column be close.
    assert ours.value.line == std.value.lineno
    assert ours.value.column is not None
    assert abs(ours.value.column - std.value.colno) <= 1


def test_invalid_utf8_split_across_chunks_reports_absolute_offset() -> None:
    data = "aé".encode() * 10 + b"\xc3(" + b"tail"
    with pytest.raises(InvalidEncoding) as info:
        list(iter_text(io.BytesIO(data), file="f", chunk_size=3))
    assert info.value.offset == 30


def test_value_cap_is_enforced_before_the_value_is_complete() -> None:
    data = b'["' + b"x" * 10_000 + b'"]'
    with pytest.raises(RecordTooLarge) as info:
        list(iter_json(_cursor(data, 256, max_chars=1000), lambda p: p == ()))
    assert (info.value.line, info.value.column) == (1, 2)


def test_line_cap_is_enforced_without_a_newline() -> None:
    chunks = iter(["a" * 100] * 100)
    with pytest.raises(RecordTooLarge) as info:
        list(iter_lines(chunks, file="f", max_chars=500))
    assert info.value.line == 1


def test_bom_is_dropped() -> None:
    assert "".join(iter_text(io.BytesIO("\ufeff[1]".encode()), file="f")) == "[1]"
