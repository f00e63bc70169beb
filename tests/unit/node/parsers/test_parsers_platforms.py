"""Each importer on exports in its documented shape: synthetic at scale, hand-made for quirks."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from parsers_testing import (
    COMMENTS_HEAD,
    chatgpt_zip,
    conversation,
    message,
    reddit_zip,
    simple_conversation,
    tg_export,
    tg_message,
    tweet,
    write_zip,
    ytd,
)

from node.parsers import canonicalize, parse_export, scrub_export
from node.parsers.synthetic import generate, generators

PLATFORMS = ["chatgpt", "reddit", "twitter", "telegram"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_synthetic_export_parses_to_exactly_what_was_generated(
    tmp_path: Path, platform: str
) -> None:
    info = generate(platform, tmp_path / f"{platform}.zip", seed=11, size_bytes=200_000)
    export = parse_export(info.path)  # auto-detection
    assert export.platform == platform
    assert export.account == info.account
    assert len(export.records) == info.records
    assert export.by_kind() == info.by_kind
    scrubbed = scrub_export(export)
    assert {k: v for k, v in scrubbed.pii_removed.items() if v} == info.pii
    assert sum(info.pii.values()) > 0, "the generator should plant some PII at this size"
    assert len({r.id for r in export.records}) == len(export.records), "ids must be unique"


@pytest.mark.parametrize("platform", [*PLATFORMS, "generic"])
def test_synthetic_generators_are_deterministic_by_seed(tmp_path: Path, platform: str) -> None:
    a = generate(platform, tmp_path / "a", seed=5, size_bytes=20_000)
    b = generate(platform, tmp_path / "b", seed=5, size_bytes=20_000)
    c = generate(platform, tmp_path / "c", seed=6, size_bytes=20_000)
    assert a.path.read_bytes() == b.path.read_bytes()
    assert a.path.read_bytes() != c.path.read_bytes()
    assert a.size_bytes >= 20_000


def test_generators_cover_every_builtin_platform() -> None:
    assert set(generators()) == {*PLATFORMS, "generic"}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_extracted_folder_commits_like_the_zip(tmp_path: Path, platform: str) -> None:
    info = generate(platform, tmp_path / "x.zip", seed=2)
    folder = tmp_path / "extracted"
    with zipfile.ZipFile(info.path) as zf:
        zf.extractall(folder)
    from_zip = canonicalize(parse_export(info.path))
    from_dir = canonicalize(parse_export(folder))
    assert from_zip.commitment == from_dir.commitment


def test_archive_with_one_top_level_folder_is_found(tmp_path: Path) -> None:
    data = json.dumps([simple_conversation()])
    path = write_zip(tmp_path / "x.zip", {"ChatGPT-export/conversations.json": data})
    assert len(parse_export(path).records) == 2


# --- ChatGPT ------------------------------------------------------------------------------


def test_chatgpt_follows_the_current_branch_and_skips_hidden_and_empty(tmp_path: Path) -> None:
    conv = conversation(
        "c1",
        [
            ("root", None, None),
            (
                "sys",
                "root",
                message("m0", "system", "be nice", None, is_visually_hidden_from_conversation=True),
            ),
            ("u1", "sys", message("m1", "user", "first", 1_700_000_010.0)),
            ("old", "u1", message("m2", "assistant", "abandoned answer", 1_700_000_011.0)),
            ("new", "u1", message("m3", "assistant", "kept answer", None)),
            ("u2", "new", message("m4", "user", "   ", 1_700_000_030.0)),
            ("u3", "u2", message("m5", "user", "last", 1_700_000_040.0)),
        ],
        "u3",
    )
    export = parse_export(chatgpt_zip(tmp_path / "c.zip", [conv]))
    assert [(r.id, r.author, r.text) for r in export.records] == [
        ("c1:m1", "user", "first"),
        ("c1:m3", "assistant", "kept answer"),
        ("c1:m5", "user", "last"),
    ]
    # a message without create_time takes the latest earlier time in its branch
    assert export.records[1].timestamp == export.records[0].timestamp
    assert export.records[2].thread == "c1"


def test_chatgpt_without_current_node_uses_the_latest_leaf(tmp_path: Path) -> None:
    conv = conversation(
        "c2",
        [
            ("root", None, None),
            ("u", "root", message("m1", "user", "q", 1.0e9)),
            ("a1", "u", message("m2", "assistant", "older", 1.0e9 + 1)),
            ("a2", "u", message("m3", "assistant", "newer", 1.0e9 + 5)),
        ],
        None,
    )
    export = parse_export(chatgpt_zip(tmp_path / "c.zip", [conv]))
    assert [r.text for r in export.records] == ["q", "newer"]


def test_chatgpt_multimodal_parts_keep_only_strings_and_user_json_gives_the_account(
    tmp_path: Path,
) -> None:
    conv = simple_conversation()
    node = conv["mapping"]["u"]["message"]
    node["content"] = {
        "content_type": "multimodal_text",
        "parts": [{"asset_pointer": "x"}, "caption"],
    }
    path = write_zip(
        tmp_path / "c.zip",
        {
            "conversations.json": json.dumps([conv]),
            "user.json": json.dumps({"id": "user-abc", "email": "a@example.com"}),
        },
    )
    export = parse_export(path)
    assert export.records[0].text == "caption"
    assert export.account == "user-abc"


def test_chatgpt_bare_conversations_json_file(tmp_path: Path) -> None:
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps([simple_conversation()]))
    export = parse_export(path)
    assert export.platform == "chatgpt"
    assert export.account is None


def test_chatgpt_lone_surrogate_becomes_replacement_character(tmp_path: Path) -> None:
    raw = json.dumps([simple_conversation(text="cut \ud83d")])
    export = parse_export(chatgpt_zip(tmp_path / "c.zip", raw))
    assert export.records[0].text == "cut \ufffd"
    canonicalize(export)  # encodable


# --- Reddit -------------------------------------------------------------------------------


def test_reddit_comments_posts_and_quirks(tmp_path: Path) -> None:
    comments = COMMENTS_HEAD + (
        'c1,https://r.example/c1,2023-01-15 12:34:56 UTC,203.0.113.1,a,0,l,,"multi\nline, ok",\r\n'
        "c2,https://reddit.com/r/a/c2,2023-01-16 00:00:00 UTC,203.0.113.1,a,0,l,,[deleted],\r\n"
    )
    posts = (
        "\ufeffid,permalink,date,ip,subreddit,gildings,title,url,body\r\n"
        "p1,https://r.example/p1,2022-05-01 08:00:00 UTC,203.0.113.1,b,0,A title,,Self text\r\n"
        "p2,https://r.example/p2,2022-05-02 08:00:00 UTC,203.0.113.1,b,0,Link only,https://x.example,\r\n"
    )
    export = parse_export(reddit_zip(tmp_path / "r.zip", comments, posts))
    by_id = {r.id: r for r in export.records}
    assert set(by_id) == {"t1_c1", "t3_p1", "t3_p2"}
    assert by_id["t1_c1"].text == "multi\nline, ok"
    assert by_id["t1_c1"].thread == "r/a"
    assert by_id["t1_c1"].timestamp == datetime(2023, 1, 15, 12, 34, 56, tzinfo=UTC)
    assert by_id["t3_p1"].text == "A title\n\nSelf text"
    assert by_id["t3_p2"].text == "Link only"
    assert all("203.0.113" not in r.text for r in export.records), "IP column never imported"


# --- X/Twitter ----------------------------------------------------------------------------


def test_twitter_parts_unescaping_kinds_and_account(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "t.zip",
        {
            "data/account.js": ytd("account", 0, [{"account": {"username": "synthetic_me"}}]),
            "data/tweets.js": ytd(
                "tweets", 0, [tweet("1", "a &amp; b &lt;3"), tweet("2", "RT @x: hi")]
            ),
            "data/tweets-part1.js": ytd("tweets", 1, [tweet("3", "reply", reply_to="1")]),
        },
    )
    export = parse_export(path)
    assert export.account == "synthetic_me"
    assert [(r.id, r.kind, r.text, r.thread) for r in export.records] == [
        ("1", "tweet", "a & b <3", None),
        ("2", "retweet", "RT @x: hi", None),
        ("3", "reply", "reply", "1"),
    ]
    assert export.records[0].timestamp == datetime(2023, 10, 11, 20, 19, 24, tzinfo=UTC)


def test_twitter_old_tweet_js_without_wrapper(tmp_path: Path) -> None:
    item = tweet("9", "old style")["tweet"]
    path = write_zip(tmp_path / "t.zip", {"data/tweet.js": ytd("tweet", 0, [item])})
    assert [r.text for r in parse_export(path).records] == ["old style"]


# --- Telegram -----------------------------------------------------------------------------


def test_telegram_entities_service_messages_and_self(tmp_path: Path) -> None:
    chat = {
        "name": "Chat",
        "type": "personal_chat",
        "id": 42,
        "messages": [
            tg_message(1, ["see ", {"type": "link", "text": "x.example"}, "!"], from_id="user7"),
            {
                "id": 2,
                "type": "service",
                "date": "2023-04-01T12:31:00",
                "action": "pin_message",
                "text": "",
            },
            tg_message(3, "mine", from_id="user7"),
            tg_message(4, "", from_id="user8"),
            tg_message(5, "theirs", from_id="user8"),
        ],
    }
    path = tmp_path / "result.json"
    path.write_text(json.dumps(tg_export([chat], user_id=7), indent=1))
    export = parse_export(path)
    assert export.account == "me_synthetic"
    assert [(r.id, r.text, r.author) for r in export.records] == [
        ("42:1", "see x.example!", "self"),
        ("42:3", "mine", "self"),
        ("42:5", "theirs", "other"),
    ]
    assert export.records[0].timestamp == datetime.fromtimestamp(1_680_352_205, UTC)


def test_telegram_single_chat_export_without_unixtime(tmp_path: Path) -> None:
    msg = tg_message(1, "hello")
    del msg["date_unixtime"]
    chat = {"name": "Chat", "type": "personal_chat", "id": 5, "messages": [msg]}
    path = write_zip(tmp_path / "t.zip", {"ChatExport/result.json": json.dumps(chat)})
    export = parse_export(path)
    assert export.records[0].id == "5:1"
    assert export.records[0].author is None
    assert export.records[0].timestamp == datetime(2023, 4, 1, 12, 30, 5, tzinfo=UTC)


# --- generic ------------------------------------------------------------------------------


def test_generic_csv_with_declared_columns(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text(
        "when,body,other\r\n2024-01-02T03:04:05,first note,x\r\n1700000000,second,y\r\n,,z\r\n"
    )
    export = parse_export(
        path, platform="generic", options={"text_field": "body", "timestamp_field": "when"}
    )
    assert [(r.id, r.text) for r in export.records] == [("2", "first note"), ("3", "second")]
    assert export.records[0].timestamp == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert export.records[1].timestamp == datetime.fromtimestamp(1_700_000_000, UTC)


def test_generic_jsonl_ids_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"id": 7, "text": "a"}\n\n{"text": "b", "timestamp": null}\n')
    export = parse_export(path, platform="generic")
    assert [(r.id, r.text, r.timestamp) for r in export.records] == [
        ("7", "a", None),
        ("3", "b", None),
    ]


def test_twitter_dates_with_an_offset_fall_back_to_strptime(tmp_path: Path) -> None:
    item = tweet("1", "x")
    item["tweet"]["created_at"] = "Wed Oct 11 22:19:24 +0200 2023"
    path = write_zip(tmp_path / "t.zip", {"data/tweets.js": ytd("tweets", 0, [item])})
    assert parse_export(path).records[0].timestamp == datetime(2023, 10, 11, 20, 19, 24, tzinfo=UTC)
