"""Huge numbers in an export are a typed parse error with a position, never a traceback.

Python refuses to convert an integer of more than 4,300 digits (a guard against quadratic work),
and that ValueError used to escape the JSON readers; an integer of a few hundred digits is
convertible but overflows ``float`` and ``datetime`` (OverflowError). Both are planted here in
every importer, and every case also goes through ``datadao inspect``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from parsers_testing import (
    COMMENTS_HEAD,
    reddit_zip,
    simple_conversation,
    tg_export,
    tg_message,
    tweet,
    write_zip,
    ytd,
)

from node.cli.exit_codes import ExitCode
from node.cli.main import cli
from node.errors import ParseError
from node.parsers import errors as e
from node.parsers import parse_export
from node.parsers._stream import JsonCursor, iter_json

HUGE = "9" * 5000  # over Python's int-string conversion limit
BIG = "9" * 400  # convertible, but past any float and any datetime
MARK = '"__NUMBER__"'


def _with_number(doc: object, number: str) -> str:
    """``doc`` as JSON text with the placeholder string replaced by a bare number literal."""
    text = json.dumps(doc, indent=1)
    assert MARK in text
    return text.replace(MARK, number)


def chatgpt(number: str, where: str) -> Callable[[Path], Path]:
    def build(p: Path) -> Path:
        conv = simple_conversation()
        if where == "time":
            conv["mapping"]["u"]["message"]["create_time"] = "__NUMBER__"
        else:  # a field the parser never reads
            conv["mapping"]["u"]["message"]["metadata"] = {"weight": "__NUMBER__"}
        return write_zip(p / "chatgpt.zip", {"conversations.json": _with_number([conv], number)})

    return build


def chatgpt_leaf(number: str) -> Callable[[Path], Path]:
    """No current_node: the latest leaf is chosen by create_time, which is huge here."""

    def build(p: Path) -> Path:
        conv = simple_conversation()
        del conv["current_node"]
        conv["mapping"]["a"]["message"]["create_time"] = "__NUMBER__"
        return write_zip(p / "chatgpt.zip", {"conversations.json": _with_number([conv], number)})

    return build


def telegram(number: str, where: str) -> Callable[[Path], Path]:
    def build(p: Path) -> Path:
        msg = tg_message(1, "hello")
        if where == "time":
            msg["date_unixtime"] = "__NUMBER__"
        else:
            msg["id"] = "__NUMBER__"
        doc = tg_export([{"name": "c", "type": "personal_chat", "id": 5, "messages": [msg]}])
        return write_zip(p / "telegram.zip", {"result.json": _with_number(doc, number)})

    return build


def twitter(number: str) -> Callable[[Path], Path]:
    def build(p: Path) -> Path:
        t = tweet("1", "hello")
        t["tweet"]["id"] = "__NUMBER__"
        del t["tweet"]["id_str"]
        text = ytd("tweets", 0, [t]).replace(MARK, number)
        return write_zip(p / "twitter.zip", {"data/tweets.js": text})

    return build


def twitter_year(p: Path) -> Path:
    t = tweet("1", "hello")
    t["tweet"]["created_at"] = f"Wed Oct 11 20:19:24 +0000 {BIG[:30]}"
    return write_zip(p / "twitter.zip", {"data/tweets.js": ytd("tweets", 0, [t])})


def reddit(p: Path) -> Path:
    return reddit_zip(p / "reddit.zip", comments=COMMENTS_HEAD + f"c1,/r/x,{HUGE},,x,0,,,hi,\r\n")


def reddit_offset(p: Path) -> Path:
    row = "c1,/r/x,9999-12-31T23:30:00-05:00,,x,0,,,hi,\r\n"
    return reddit_zip(p / "reddit.zip", comments=COMMENTS_HEAD + row)


def generic(number: str) -> Callable[[Path], Path]:
    def build(p: Path) -> Path:
        line = '{"id": 1, "text": "ok"}\n{"id": __N__, "text": "hello"}\n'.replace("__N__", number)
        path = p / "data.jsonl"
        path.write_text(line)
        return path

    return build


def generic_time(p: Path) -> Path:
    path = p / "data.jsonl"
    path.write_text(f'{{"text": "hello", "timestamp": {BIG}}}\n')
    return path


# name -> (build, platform, expected error, expected line or None)
CASES: dict[str, tuple[Callable[[Path], Path], str, type[e.ExportError], int | None]] = {
    "chatgpt-huge-time": (chatgpt(HUGE, "time"), "auto", e.MalformedJSON, 2),
    "chatgpt-huge-unread-field": (chatgpt(HUGE, "meta"), "auto", e.MalformedJSON, 2),
    "chatgpt-big-time": (chatgpt(BIG, "time"), "auto", e.InvalidTimestamp, 2),
    "chatgpt-big-leaf-time": (chatgpt_leaf(BIG), "auto", e.InvalidTimestamp, 2),
    "telegram-huge-id": (telegram(HUGE, "id"), "auto", e.MalformedJSON, None),
    "telegram-huge-time": (telegram(HUGE, "time"), "auto", e.MalformedJSON, None),
    "telegram-big-time": (telegram(BIG, "time"), "auto", e.InvalidTimestamp, None),
    "twitter-huge-id": (twitter(HUGE), "auto", e.MalformedJSON, 2),
    "twitter-big-year": (twitter_year, "auto", e.InvalidTimestamp, 2),
    "reddit-huge-date": (reddit, "auto", e.InvalidTimestamp, None),
    "reddit-date-past-9999-utc": (reddit_offset, "auto", e.InvalidTimestamp, None),
    "generic-huge-id": (generic(HUGE), "generic", e.MalformedJSON, 2),
    "generic-big-time": (generic_time, "generic", e.InvalidTimestamp, 1),
}


@pytest.mark.parametrize("name", list(CASES))
def test_huge_numbers_are_a_typed_error_with_a_position(tmp_path: Path, name: str) -> None:
    build, platform, error, line = CASES[name]
    path = build(tmp_path)
    with pytest.raises(error) as info:
        parse_export(path, platform=platform)
    err = info.value
    assert err.file is not None
    assert err.file.startswith(str(path))
    if line is not None:
        assert err.line == line
    assert err.position is not None
    assert len(str(err)) < 300  # the number itself is never echoed in full


@pytest.mark.parametrize("name", list(CASES))
def test_inspect_prints_one_line_and_fails(tmp_path: Path, name: str) -> None:
    build, platform, _, _ = CASES[name]
    path = build(tmp_path)
    result = CliRunner().invoke(cli, ["inspect", str(path), "--platform", platform])
    assert result.exit_code == ExitCode.INPUT, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: ")
    assert str(path) in lines[0]


@pytest.mark.parametrize("split", [1, 10, 2500, 4999])
def test_a_huge_number_cut_by_a_chunk_boundary_is_still_refused(split: int) -> None:
    text = '[{"a": 1}, {"n": ' + HUGE + "}]"
    cut = text.index(HUGE) + split
    cursor = JsonCursor(iter([text[:cut], text[cut:]]), file="f.json", max_value_chars=1 << 20)
    items = iter_json(cursor, lambda path: path == ())
    assert next(items).value == {"a": 1}
    with pytest.raises(e.MalformedJSON) as info:
        next(items)
    assert (info.value.line, info.value.column) == (1, 12)


def test_numbers_just_under_the_limit_still_parse(tmp_path: Path) -> None:
    path = generic("9" * 4000)(tmp_path)
    try:
        export = parse_export(path, platform="generic")
    except ParseError as err:  # pragma: no cover - the assertion below says what went wrong
        pytest.fail(f"a 4000-digit id was refused: {err}")
    assert [r.text for r in export.records] == ["ok", "hello"]
    assert len(export.records[1].id) == 4000
