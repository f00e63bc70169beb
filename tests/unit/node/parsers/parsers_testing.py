"""Builders for hand-made exports in the documented shapes (synthetic; never real data)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any


def write_zip(path: Path, members: dict[str, bytes | str]) -> Path:
    """A zip with the given members (str contents are UTF-8 encoded)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data.encode() if isinstance(data, str) else data)
    return path


def message(
    mid: str, role: str, text: str | None, t: float | None, **metadata: Any
) -> dict[str, Any]:
    return {
        "id": mid,
        "author": {"role": role},
        "create_time": t,
        "content": {"content_type": "text", "parts": [] if text is None else [text]},
        "metadata": metadata,
    }


def conversation(
    cid: str,
    nodes: list[tuple[str, str | None, dict[str, Any] | None]],
    current: str | None,
    t: float = 1_700_000_000.0,
) -> dict[str, Any]:
    """``nodes``: (node id, parent id, message) in any order; children are derived."""
    mapping: dict[str, Any] = {
        nid: {"id": nid, "parent": parent, "message": msg, "children": []}
        for nid, parent, msg in nodes
    }
    for nid, parent, _ in nodes:
        if parent in mapping:
            mapping[parent]["children"].append(nid)
    conv: dict[str, Any] = {"id": cid, "conversation_id": cid, "title": "t", "create_time": t}
    conv["mapping"] = mapping
    if current is not None:
        conv["current_node"] = current
    return conv


def simple_conversation(cid: str = "c1", text: str = "hello") -> dict[str, Any]:
    return conversation(
        cid,
        [
            ("root", None, None),
            ("u", "root", message("mu", "user", text, 1_700_000_001.0)),
            ("a", "u", message("ma", "assistant", "hi there", 1_700_000_002.0)),
        ],
        "a",
    )


def chatgpt_zip(path: Path, conversations: list[dict[str, Any]] | str) -> Path:
    data = conversations if isinstance(conversations, str) else json.dumps(conversations, indent=2)
    return write_zip(path, {"conversations.json": data})


def tweet(tid: str, text: str, *, reply_to: str | None = None) -> dict[str, Any]:
    return {
        "tweet": {
            "id_str": tid,
            "full_text": text,
            "created_at": "Wed Oct 11 20:19:24 +0000 2023",
            "in_reply_to_status_id_str": reply_to,
        }
    }


def ytd(name: str, part: int, items: list[Any]) -> str:
    return f"window.YTD.{name}.part{part} = " + json.dumps(items, indent=2)


def tg_message(
    mid: int, text: Any, *, from_id: str = "user1", t: int = 1_680_352_205
) -> dict[str, Any]:
    return {
        "id": mid,
        "type": "message",
        "date": "2023-04-01T12:30:05",
        "date_unixtime": str(t),
        "from": "Someone",
        "from_id": from_id,
        "text": text,
    }


def tg_export(chats: list[dict[str, Any]], user_id: int = 1) -> dict[str, Any]:
    return {
        "about": "synthetic",
        "personal_information": {"user_id": user_id, "username": "@me_synthetic"},
        "chats": {"about": "x", "list": chats},
    }


def reddit_zip(path: Path, comments: str | None = None, posts: str | None = None) -> Path:
    members: dict[str, bytes | str] = {}
    if comments is not None:
        members["comments.csv"] = comments
    if posts is not None:
        members["posts.csv"] = posts
    return write_zip(path, members)


COMMENTS_HEAD = "id,permalink,date,ip,subreddit,gildings,link,parent,body,media\r\n"


class EchoParser:
    """A third-party-style parser: claims any export with ``echo.txt``; one record per line."""

    name = "echo"

    def sniff(self, source: Any) -> bool:
        return source.find("echo.txt") is not None

    def parse(self, source: Any, limits: Any) -> Any:
        from node.parsers import ParsedExport, Record

        member = source.find("echo.txt")
        with source.open(member) as fh:
            lines = fh.read().decode().splitlines()
        records = tuple(Record(str(i), None, "line", t) for i, t in enumerate(lines))
        return ParsedExport(self.name, None, records, source=source.label)


class GreedyParser(EchoParser):
    """Claims everything, to provoke ambiguity."""

    name = "greedy"

    def sniff(self, source: Any) -> bool:
        return True


class NotAParser:
    """Loadable and callable, but lacks the ExportParser members."""
