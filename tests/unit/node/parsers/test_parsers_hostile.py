"""Hostile inputs: each is refused with one exact typed error that names the file and position.

Every case also runs through ``datadao inspect`` to check the user sees one line and exit code 1,
never a traceback. "Never a partial result" holds by construction (parsers return only at the
end), and is checked here by every case raising rather than returning.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from parsers_testing import (
    COMMENTS_HEAD,
    chatgpt_zip,
    conversation,
    message,
    reddit_zip,
    simple_conversation,
    tg_export,
    tg_message,
    write_zip,
    ytd,
)

from node.cli.exit_codes import ExitCode
from node.cli.main import cli
from node.errors import ParseError
from node.parsers import Limits, parse_export
from node.parsers import errors as e


@dataclass(frozen=True)
class Case:
    build: Callable[[Path], Path]
    error: type[e.ExportError]
    file: str  # expected suffix of err.file
    fields: dict[str, Any] = field(default_factory=dict)  # expected attribute values
    platform: str = "auto"
    limits: Limits | None = None


def _zip_raw(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return path


def zip_bomb(p: Path) -> Path:
    return _zip_raw(p / "bomb.zip", [("conversations.json", b"[" + b" " * (8 << 20) + b"]")])


def traversal(p: Path) -> Path:
    return _zip_raw(p / "t.zip", [("conversations.json", b"[]"), ("../../evil.sh", b"x")])


def backslash_traversal(p: Path) -> Path:
    return _zip_raw(p / "t.zip", [("..\\..\\evil.bat", b"x")])


def absolute(p: Path) -> Path:
    return _zip_raw(p / "t.zip", [("/etc/cron.d/evil", b"x")])


def symlink_member(p: Path) -> Path:
    info = zipfile.ZipInfo("conversations.json")
    info.create_system = 3
    info.external_attr = 0o120777 << 16
    return _zip_raw(p / "t.zip", [(info, b"/etc/passwd")])


def nested_zip(p: Path) -> Path:
    inner = write_zip(p / "inner.zip", {"conversations.json": "[]"}).read_bytes()
    return _zip_raw(p / "t.zip", [("conversations.json", b"[]"), ("more/inner.zip", inner)])


def nested_by_magic(p: Path) -> Path:
    inner = write_zip(p / "inner.zip", {"conversations.json": "[]"}).read_bytes()
    return _zip_raw(p / "t.zip", [("conversations.json", inner)])


def too_many_members(p: Path) -> Path:
    return _zip_raw(p / "t.zip", [(f"f{i}.txt", b"x") for i in range(11)])


def truncated(p: Path) -> Path:
    full = chatgpt_zip(p / "full.zip", [simple_conversation()]).read_bytes()
    out = p / "truncated.zip"
    out.write_bytes(full[: len(full) // 2])
    return out


def not_a_zip(p: Path) -> Path:
    out = p / "export.zip"
    out.write_bytes(b"this is not a zip file at all\n" * 4)
    return out


def encrypted(p: Path) -> Path:
    """zipfile cannot write encrypted members, so set the flag bit in both headers by hand."""
    path = _zip_raw(p / "t.zip", [("conversations.json", b"[]")])
    raw = bytearray(path.read_bytes())
    raw[raw.index(b"PK\x03\x04") + 6] |= 0x1
    raw[raw.index(b"PK\x01\x02") + 8] |= 0x1
    path.write_bytes(bytes(raw))
    return path


def duplicate(p: Path) -> Path:
    with pytest.warns(UserWarning, match="Duplicate name"):
        return _zip_raw(p / "t.zip", [("conversations.json", b"[]"), ("conversations.json", b"[]")])


def total_too_large(p: Path) -> Path:
    return _zip_raw(p / "t.zip", [("a.txt", os.urandom(600)), ("b.txt", os.urandom(600))])


def invalid_utf8(p: Path) -> Path:
    data = json.dumps([simple_conversation(text="h\u00e9llo")], ensure_ascii=False).encode()
    bad = data.index("h\u00e9llo".encode())
    return _zip_raw(p / "c.zip", [("conversations.json", data[:bad] + b"\xff" + data[bad:])])


def malformed_json(p: Path) -> Path:
    # line 3, column 12: the missing comma between the two members
    return chatgpt_zip(p / "c.zip", '[\n  {"id": "c1",\n   "title": "x" "mapping": {}}\n]')


def truncated_json(p: Path) -> Path:
    text = json.dumps([simple_conversation()], indent=2)
    return chatgpt_zip(p / "c.zip", text[: len(text) - 40])


def json_not_array(p: Path) -> Path:
    return chatgpt_zip(p / "c.zip", '{"conversations": []}')


def empty_export(p: Path) -> Path:
    return chatgpt_zip(p / "c.zip", "[]")


def zero_byte_file(p: Path) -> Path:
    return chatgpt_zip(p / "c.zip", "   \n")


def huge_record(p: Path) -> Path:
    return chatgpt_zip(p / "c.zip", [simple_conversation(), simple_conversation("c2", "x" * 5000)])


def mapping_cycle(p: Path) -> Path:
    conv = conversation(
        "cyc",
        [
            ("a", "b", message("m1", "user", "q", 1e9)),
            ("b", "a", message("m2", "assistant", "r", 1e9)),
        ],
        "b",
    )
    return chatgpt_zip(p / "c.zip", [simple_conversation(), conv])


def dangling_parent(p: Path) -> Path:
    conv = conversation("dang", [("a", "ghost", message("m1", "user", "q", 1e9))], "a")
    return chatgpt_zip(p / "c.zip", [conv])


def bad_unix_time(p: Path) -> Path:
    conv = simple_conversation()
    conv["mapping"]["u"]["message"]["create_time"] = "yesterday"
    return chatgpt_zip(p / "c.zip", [conv])


def csv_missing_column(p: Path) -> Path:
    return reddit_zip(
        p / "r.zip",
        comments="id,permalink,date,ip,subreddit\r\nc1,x,2023-01-01 00:00:00 UTC,1,a\r\n",
    )


def csv_bad_quoting(p: Path) -> Path:
    rows = (
        COMMENTS_HEAD
        + "c1,x,2023-01-01 00:00:00 UTC,ip,a,0,l,,ok,\r\n"
        + 'c2,x,2023-01-01 00:00:00 UTC,ip,a,0,l,,"bad"quote,\r\n'
    )
    return reddit_zip(p / "r.zip", comments=rows)


def csv_wrong_width(p: Path) -> Path:
    return reddit_zip(p / "r.zip", comments=COMMENTS_HEAD + "c1,x,2023-01-01 00:00:00 UTC\r\n")


def csv_bad_date(p: Path) -> Path:
    rows = (
        COMMENTS_HEAD
        + "c1,x,2023-01-01 00:00:00 UTC,ip,a,0,l,,ok,\r\nc2,x,last tuesday,ip,a,0,l,,ok,\r\n"
    )
    return reddit_zip(p / "r.zip", comments=rows)


def csv_huge_field(p: Path) -> Path:
    rows = COMMENTS_HEAD + 'c1,x,2023-01-01 00:00:00 UTC,ip,a,0,l,,"' + "y\n" * 3000 + '",\r\n'
    return reddit_zip(p / "r.zip", comments=rows)


def wrong_platform(p: Path) -> Path:
    return chatgpt_zip(p / "c.zip", [simple_conversation()])


def unknown_platform(p: Path) -> Path:
    return write_zip(p / "mystery.zip", {"notes/readme.txt": "hello"})


def tweets_without_prefix(p: Path) -> Path:
    body = json.dumps([{"tweet": {"id_str": "1", "full_text": "x", "created_at": "x"}}])
    return write_zip(p / "t.zip", {"data/tweets.js": body})


def tweet_bad_date(p: Path) -> Path:
    item = {"tweet": {"id_str": "1", "full_text": "x", "created_at": "2023-10-11"}}
    return write_zip(p / "t.zip", {"data/tweets.js": ytd("tweets", 0, [item])})


def telegram_entity_garbage(p: Path) -> Path:
    chat = {"name": "c", "type": "personal_chat", "id": 9, "messages": [tg_message(1, ["ok", 42])]}
    out = p / "result.json"
    out.write_text(json.dumps(tg_export([chat]), indent=1))
    return out


def telegram_id_after_messages(p: Path) -> Path:
    chat = {"name": "c", "messages": [tg_message(1, "x")], "id": 9}
    out = p / "result.json"
    out.write_text(json.dumps(tg_export([chat]), indent=1))
    return out


def jsonl_malformed_line(p: Path) -> Path:
    out = p / "d.jsonl"
    out.write_text('{"text": "a"}\n{"text": "b"}\n{"text": "c",}\n')
    return out


def folder_with_symlink(p: Path) -> Path:
    folder = p / "export"
    folder.mkdir()
    (folder / "conversations.json").write_text("[]")
    (folder / "secrets").symlink_to("/etc/passwd")
    return folder


CASES: dict[str, Case] = {
    "zip-bomb-ratio": Case(zip_bomb, e.CompressionRatioTooHigh, "bomb.zip:conversations.json"),
    "path-traversal": Case(traversal, e.UnsafeMemberPath, "t.zip", {"member": "../../evil.sh"}),
    "backslash-traversal": Case(backslash_traversal, e.UnsafeMemberPath, "t.zip"),
    "absolute-path": Case(absolute, e.UnsafeMemberPath, "t.zip", {"member": "/etc/cron.d/evil"}),
    "symlink-member": Case(
        symlink_member, e.SymlinkMember, "t.zip", {"member": "conversations.json"}
    ),
    "nested-zip-by-name": Case(nested_zip, e.NestedArchive, "t.zip", {"member": "more/inner.zip"}),
    "nested-zip-by-magic": Case(nested_by_magic, e.NestedArchive, "t.zip:conversations.json"),
    "too-many-members": Case(
        too_many_members,
        e.TooManyMembers,
        "t.zip",
        {"count": 11, "limit": 10},
        limits=Limits(max_members=10),
    ),
    "total-too-large": Case(
        total_too_large,
        e.ArchiveTooLarge,
        "t.zip",
        {"limit": 1000},
        limits=Limits(max_total_bytes=1000),
    ),
    "truncated-zip": Case(truncated, e.CorruptArchive, "truncated.zip"),
    "not-a-zip": Case(not_a_zip, e.NotAnArchive, "export.zip"),
    "encrypted-member": Case(encrypted, e.EncryptedMember, "t.zip"),
    "duplicate-member": Case(duplicate, e.DuplicateMember, "t.zip"),
    "folder-symlink": Case(folder_with_symlink, e.SymlinkMember, "export", {"member": "secrets"}),
    "invalid-utf8": Case(invalid_utf8, e.InvalidEncoding, "c.zip:conversations.json"),
    "malformed-json": Case(
        malformed_json, e.MalformedJSON, "c.zip:conversations.json", {"line": 3, "column": 17}
    ),
    "truncated-json": Case(truncated_json, e.MalformedJSON, "c.zip:conversations.json"),
    "json-not-an-array": Case(
        json_not_array, e.InvalidStructure, "c.zip:conversations.json", {"line": 1}
    ),
    "empty-export": Case(empty_export, e.EmptyExport, "c.zip:conversations.json"),
    "blank-file": Case(zero_byte_file, e.EmptyExport, "c.zip:conversations.json"),
    "huge-single-record": Case(
        huge_record,
        e.RecordTooLarge,
        "c.zip:conversations.json",
        limits=Limits(max_record_bytes=2000),
    ),
    "chatgpt-mapping-cycle": Case(
        mapping_cycle, e.MessageTreeError, "c.zip:conversations.json", {"path": "$[1].mapping.b"}
    ),
    "chatgpt-dangling-parent": Case(
        dangling_parent, e.MessageTreeError, "c.zip:conversations.json", {"path": "$[0].mapping.a"}
    ),
    "chatgpt-bad-time": Case(bad_unix_time, e.InvalidTimestamp, "c.zip:conversations.json"),
    "csv-missing-column": Case(
        csv_missing_column, e.MissingColumn, "r.zip:comments.csv", {"row": 1, "missing": "body"}
    ),
    "csv-bad-quoting": Case(csv_bad_quoting, e.MalformedCSV, "r.zip:comments.csv", {"row": 3}),
    "csv-wrong-width": Case(csv_wrong_width, e.MalformedCSV, "r.zip:comments.csv", {"row": 2}),
    "csv-bad-date": Case(csv_bad_date, e.InvalidTimestamp, "r.zip:comments.csv", {"row": 3}),
    "csv-huge-field": Case(
        csv_huge_field, e.RecordTooLarge, "r.zip:comments.csv", limits=Limits(max_record_bytes=4000)
    ),
    "wrong-platform": Case(wrong_platform, e.WrongPlatform, "c.zip", platform="reddit"),
    "unknown-platform": Case(unknown_platform, e.UnknownPlatform, "mystery.zip"),
    "tweets-js-without-prefix": Case(
        tweets_without_prefix, e.MissingPrefix, "t.zip:data/tweets.js", {"line": 1, "column": 1}
    ),
    "tweet-bad-date": Case(
        tweet_bad_date, e.InvalidTimestamp, "t.zip:data/tweets.js", {"path": "$[0]"}
    ),
    "telegram-entity-garbage": Case(
        telegram_entity_garbage,
        e.TextEntityError,
        "result.json",
        {"path": "$.chats.list[0].messages[0].text[1]"},
    ),
    "telegram-id-after-messages": Case(
        telegram_id_after_messages, e.InvalidStructure, "result.json"
    ),
    "jsonl-malformed-line": Case(
        jsonl_malformed_line, e.MalformedJSON, "d.jsonl", {"line": 3}, platform="generic"
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input_raises_exact_typed_error(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    path = case.build(tmp_path)
    with pytest.raises(e.ExportError) as info:
        parse_export(path, platform=case.platform, limits=case.limits)
    err = info.value
    assert type(err) is case.error, f"{type(err).__name__}: {err}"
    assert isinstance(err, ParseError)
    assert err.file is not None
    assert err.file.endswith(case.file), err.file
    assert str(err).startswith(err.file), "the message names the file first"
    for attr, expected in case.fields.items():
        assert getattr(err, attr) == expected, f"{attr}: {getattr(err, attr)!r} in {err}"
    if err.position is not None:
        assert err.position in str(err)


def test_there_are_at_least_twenty_distinct_hostile_cases() -> None:
    assert len(CASES) >= 20
    assert len({c.error for c in CASES.values()}) >= 20


def test_positions_match_the_standard_json_decoder(tmp_path: Path) -> None:
    text = '[\n  {"id": "c1",\n   "title": "x" "mapping": {}}\n]'
    try:
        json.loads(text)
    except json.JSONDecodeError as std:
        line, column = std.lineno, std.colno
    with pytest.raises(e.MalformedJSON) as info:
        parse_export(chatgpt_zip(tmp_path / "c.zip", text))
    assert (info.value.line, info.value.column) == (line, column)


def test_invalid_utf8_reports_the_exact_byte_offset(tmp_path: Path) -> None:
    path = invalid_utf8(tmp_path)
    with zipfile.ZipFile(path) as zf:
        raw = zf.read("conversations.json")
    with pytest.raises(e.InvalidEncoding) as info:
        parse_export(path)
    assert info.value.offset == raw.index(b"\xff")


def test_huge_record_reports_the_line_where_it_starts(tmp_path: Path) -> None:
    path = huge_record(tmp_path)
    with zipfile.ZipFile(path) as zf:
        text = zf.read("conversations.json").decode()
    start_line = text[: text.index('"c2"')].rfind("\n  {")
    expected = text[: start_line + 1].count("\n") + 1
    with pytest.raises(e.RecordTooLarge) as info:
        parse_export(path, limits=Limits(max_record_bytes=2000))
    assert info.value.line == expected


def test_wrong_platform_hints_at_the_right_one(tmp_path: Path) -> None:
    with pytest.raises(e.WrongPlatform, match="looks like a chatgpt export"):
        parse_export(wrong_platform(tmp_path), platform="reddit")


def test_the_declared_size_of_a_member_cannot_be_exceeded(tmp_path: Path) -> None:
    """A member whose header under-states its size: zipfile stops there and the CRC fails."""
    path = _zip_raw(
        tmp_path / "lie.zip", [("conversations.json", json.dumps([simple_conversation()]).encode())]
    )
    raw = bytearray(path.read_bytes())
    central = raw.index(b"PK\x01\x02")
    raw[central + 24 : central + 28] = (10).to_bytes(4, "little")  # uncompressed size
    path.write_bytes(bytes(raw))
    with pytest.raises(e.CorruptArchive) as info:
        parse_export(path)
    assert info.value.file is not None
    assert info.value.file.endswith("lie.zip:conversations.json")


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.limits is None])
def test_cli_shows_one_line_and_the_input_exit_code(tmp_path: Path, name: str) -> None:
    case = CASES[name]  # cases needing custom Limits are covered above (limits are not CLI options)
    path = case.build(tmp_path)
    args = ["inspect", str(path), "--platform", case.platform, "--json"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == ExitCode.INPUT, result.output
    assert "Traceback" not in result.output
    assert result.output.startswith("Error: ")
    assert case.file.split(":")[0] in result.output
