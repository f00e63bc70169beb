"""Platforms are recognised by what a file holds; its name is only a hint (issue #22).

A browser saves a second download as ``result (1).json``, users rename files, and re-zipping
tools keep whatever names they were given. Every importer must still recognise its export from
the first bytes of its files, must not read whole files to do so, the generic fallback must never
take a platform's export, and an export that nothing recognises is the typed "no parser" error.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from parsers_testing import simple_conversation, write_zip

from node.parsers import canonicalize, load_registry, parse_export
from node.parsers import errors as e
from node.parsers.archive import HEAD_BYTES, MemberReader, open_export
from node.parsers.synthetic import generate

# platform -> (member in the generated zip, names it may be saved or renamed under)
RENAMES: dict[str, tuple[str, list[str]]] = {
    "chatgpt": (
        "conversations.json",
        ["conversations (1).json", "conversations(2).json", "export.json", "chat-history.JSON"],
    ),
    "telegram": ("result.json", ["result (1).json", "result(2).json", "export.json"]),
    "twitter": ("data/tweets.js", ["data/tweets (1).js", "data/my-posts.js"]),
}


def _rezip(src: Path, dst: Path, renames: dict[str, str]) -> Path:
    """``src`` with members renamed (``old -> new``), everything else as it was."""
    with zipfile.ZipFile(src) as zin:
        members: dict[str, bytes | str] = {renames.get(n, n): zin.read(n) for n in zin.namelist()}
    return write_zip(dst, members)


def _extract(src: Path, member: str, dst: Path) -> Path:
    with zipfile.ZipFile(src) as zf:
        dst.write_bytes(zf.read(member))
    return dst


def _renamed_cases() -> list[tuple[str, str]]:
    return [(p, name) for p, (_, names) in RENAMES.items() for name in names]


@pytest.mark.parametrize(("platform", "name"), _renamed_cases())
def test_a_renamed_member_inside_the_zip_is_still_recognised(
    tmp_path: Path, platform: str, name: str
) -> None:
    info = generate(platform, tmp_path / "orig.zip", seed=4, size_bytes=60_000)
    member, _ = RENAMES[platform]
    renamed = _rezip(info.path, tmp_path / "renamed.zip", {member: name})
    export = parse_export(renamed)
    assert export.platform == platform
    assert export.account == info.account
    assert len(export.records) == info.records
    assert canonicalize(export).data == canonicalize(parse_export(info.path)).data


@pytest.mark.parametrize(("platform", "name"), _renamed_cases())
def test_a_bare_file_saved_under_another_name_is_still_recognised(
    tmp_path: Path, platform: str, name: str
) -> None:
    info = generate(platform, tmp_path / "orig.zip", seed=4, size_bytes=60_000)
    member, _ = RENAMES[platform]
    canonical_name = _extract(info.path, member, tmp_path / Path(member).name)
    bare = _extract(info.path, member, tmp_path / Path(name).name)
    export = parse_export(bare)
    assert export.platform == platform
    expected = parse_export(canonical_name, platform=platform)
    assert canonicalize(export).data == canonicalize(expected).data


@pytest.mark.parametrize(
    "renames",
    [
        {"comments.csv": "comments (1).csv", "posts.csv": "posts(2).csv"},
        {"comments.csv": "export.csv", "posts.csv": "export-2.csv", "messages.csv": "dm.csv"},
        {"comments.csv": "reddit/c.csv"},
    ],
)
def test_reddit_csvs_are_recognised_by_their_header(
    tmp_path: Path, renames: dict[str, str]
) -> None:
    info = generate("reddit", tmp_path / "orig.zip", seed=4, size_bytes=60_000)
    renamed = _rezip(info.path, tmp_path / "renamed.zip", renames)
    export = parse_export(renamed)
    assert export.platform == "reddit"
    assert export.by_kind() == info.by_kind
    assert canonicalize(export).data == canonicalize(parse_export(info.path)).data


def test_a_bare_reddit_comments_file_under_another_name(tmp_path: Path) -> None:
    info = generate("reddit", tmp_path / "orig.zip", seed=4, size_bytes=60_000)
    bare = _extract(info.path, "comments.csv", tmp_path / "comments (1).csv")
    export = parse_export(bare)
    assert export.platform == "reddit"
    assert set(export.by_kind()) == {"comment"}
    assert export.by_kind()["comment"] == info.by_kind["comment"]


@pytest.mark.parametrize("name", ["data (1).jsonl", "export.json", "rows.ndjson"])
def test_generic_jsonl_is_the_fallback_for_a_plain_text_file(tmp_path: Path, name: str) -> None:
    info = generate("generic", tmp_path / name, seed=4, size_bytes=20_000)
    export = parse_export(info.path)
    assert export.platform == "generic"
    assert len(export.records) == info.records


def test_generic_csv_with_a_text_column_is_recognised(tmp_path: Path) -> None:
    path = tmp_path / "notes (3).csv"
    path.write_text("id,text\n1,hello\n2,world\n")
    export = parse_export(path)
    assert export.platform == "generic"
    assert [r.text for r in export.records] == ["hello", "world"]


# --- ambiguity: the fallback never steals, nothing matches nothing ----------------------------


@pytest.mark.parametrize("platform", ["chatgpt", "telegram", "twitter", "reddit"])
def test_generic_never_takes_a_platform_export(tmp_path: Path, platform: str) -> None:
    info = generate(platform, tmp_path / "orig.zip", seed=4, size_bytes=30_000)
    with zipfile.ZipFile(info.path) as zf:
        members: dict[str, bytes | str] = {n: zf.read(n) for n in zf.namelist()}
    # A file the generic parser would claim on its own, next to the platform's files.
    members["notes.jsonl"] = '{"text": "a note"}\n'
    path = write_zip(tmp_path / "mixed.zip", members)
    with open_export(path) as source:
        assert load_registry().matches(source) == [platform]
    assert parse_export(path).platform == platform


def test_generic_does_not_claim_a_file_without_its_text_field(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_text('{"body": "hello"}\n')
    with pytest.raises(e.UnknownPlatform, match="--platform generic"):
        parse_export(path)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("export.json", '{"foo": 1, "messages": "none"}'),
        ("result (1).json", '[{"title": "no mapping here", "create_time": 1}]'),
        ("conversations(2).json", '{"name": "x", "type": "personal_chat", "id": 1}'),
        ("data.csv", "id,body\n1,hi\n"),  # Reddit-like, but not Reddit's columns
        ("tweets (1).js", "window.YTD.like.part0 = []"),
        ("notes.txt", "just some text\n"),
    ],
)
def test_a_file_that_matches_nothing_is_the_typed_no_parser_error(
    tmp_path: Path, name: str, content: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(e.UnknownPlatform) as info:
        parse_export(path)
    assert info.value.file == str(path)


def test_two_renamed_copies_of_conversations_are_refused_not_guessed(tmp_path: Path) -> None:
    conv = '[{"title": "t", "create_time": 1, "mapping": {}, "current_node": null}]'
    path = write_zip(
        tmp_path / "two.zip",
        {"conversations (1).json": conv, "conversations (2).json": conv},
    )
    with open_export(path) as source:
        assert load_registry().matches(source) == ["chatgpt"]
    with pytest.raises(e.PlatformError, match="several files hold ChatGPT conversations"):
        parse_export(path)


def test_a_damaged_file_with_the_platform_name_still_gets_the_precise_error(
    tmp_path: Path,
) -> None:
    path = write_zip(tmp_path / "c.zip", {"conversations.json": "[{"})
    with pytest.raises(e.MalformedJSON):
        parse_export(path)


# --- detection reads a bounded prefix, never whole files -------------------------------------


def test_detection_reads_only_a_bounded_head_of_each_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = generate("telegram", tmp_path / "orig.zip", seed=4, size_bytes=3_000_000)
    bare = _extract(info.path, "result.json", tmp_path / "result (1).json")
    assert bare.stat().st_size > 20 * HEAD_BYTES
    read = 0
    original = MemberReader.read

    def counting(self: MemberReader, size: int = -1, /) -> bytes:
        nonlocal read
        data = original(self, size)
        read += len(data)
        return data

    monkeypatch.setattr(MemberReader, "read", counting)
    with open_export(bare) as source:
        assert load_registry().detect(source).name == "telegram"
    assert 0 < read <= HEAD_BYTES


def test_keys_past_the_head_do_not_count_as_content(tmp_path: Path) -> None:
    conv = simple_conversation()
    text = "[" + " " * HEAD_BYTES + json.dumps(conv) + "]"
    path = tmp_path / "export.json"
    path.write_text(text)
    with pytest.raises(e.UnknownPlatform):
        parse_export(path)
    # The same bytes under the platform's own name are still read (the name is a hint).
    named = tmp_path / "conversations.json"
    named.write_text(text)
    assert parse_export(named).platform == "chatgpt"
