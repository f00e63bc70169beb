"""ChatGPT data export ("Settings → Data controls → Export data").

Accepted format
---------------
A zip (or its extracted folder, or the bare file) containing ``conversations.json``: a JSON
array of conversations::

    [{"id": "…", "conversation_id": "…", "title": "…", "create_time": 1700000000.5,
      "current_node": "<node id>",
      "mapping": {"<node id>": {"id": "<node id>", "parent": "<node id>" | null,
                                "children": ["<node id>", …],
                                "message": null | {"id": "…", "author": {"role": "user"},
                                                   "create_time": 1700000001.2 | null,
                                                   "content": {"content_type": "text",
                                                               "parts": ["…"]},
                                                   "metadata": {…}}}}}, …]

``user.json`` (``{"id": "user-…", "email": …}``) is read, when present, for the account handle;
we use the opaque ``id``, deliberately not the e-mail address. The e-mail is reported apart
(``ParsedExport.email``) because ownership proofs are checked against it; it reaches the
canonical form only when the contributor attaches a proof (``node/parsers/canonical.py``).

Quirks handled
--------------
* Each conversation is a *tree*: editing a prompt or regenerating an answer forks it. The
  conversation as the user last saw it is the path from ``current_node`` up through ``parent``
  links to the root, reversed. Other branches are not imported. Without ``current_node`` (older
  exports) the most recent leaf is used.
* A ``parent`` that is not in ``mapping``, a ``current_node`` that is not, or a cycle in the
  parent chain raise :class:`~node.parsers.errors.MessageTreeError`.
* The root node usually has ``message: null`` and the first message is often an empty or
  hidden system prompt (``metadata.is_visually_hidden_from_conversation``); both are skipped,
  as is any message without text.
* ``parts`` may hold non-strings (image pointers in ``multimodal_text``); only string parts are
  kept, joined by newlines. Content types without ``parts`` (``code``, ``execution_output``,
  ``tether_quote``) carry their text in ``content.text``.
* ``create_time`` is float seconds and may be null; the latest time earlier in the branch (or
  the conversation's) is used then, so the conversation keeps its order in canonical form.
* Strings can contain lone UTF-16 surrogates (a title cut inside an emoji); they become U+FFFD.

Records: ``id`` = ``<conversation id>:<message id>``, ``kind`` = ``message``, ``author`` = the
role (``user``, ``assistant``, ``system``, ``tool``), ``thread`` = the conversation id.

The array is streamed one conversation at a time, so memory holds one conversation's JSON tree
(capped by ``Limits.max_record_bytes``), never the whole file's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from node import safejson
from node.parsers._stream import (
    JsonCursor,
    JsonItem,
    clean_text,
    iter_json,
    iter_text,
    json_path,
    unix_time,
)
from node.parsers.archive import ExportSource
from node.parsers.base import Limits, ParsedExport, Record, RecordsCallback, report_records
from node.parsers.errors import (
    EmptyExport,
    InvalidStructure,
    MessageTreeError,
    PlatformError,
    TooManyRecords,
    WrongPlatform,
)

__all__ = ["ChatGPTParser"]

_MAIN = "conversations.json"
# An array of objects that has a "mapping" object within the first conversation's leading keys
# (title, create_time, update_time, mapping: ChatGPT always writes them first).
_ARRAY_START = re.compile(r'\s*\[\s*\{\s*"')
_MAPPING = re.compile(r'"mapping"\s*:\s*\{')
_CONVERSATION_KEY = re.compile(r'"(?:create_time|current_node|conversation_id)"\s*:')


def looks_like_conversations(head: str) -> bool:
    """Whether the start of a file is plainly ChatGPT's array of conversations."""
    return (
        _ARRAY_START.match(head) is not None
        and _MAPPING.search(head) is not None
        and _CONVERSATION_KEY.search(head) is not None
    )


def _locate(source: ExportSource) -> str | None:
    """``conversations.json`` by name; else the one file whose content is conversations.

    Browsers save a second download as ``conversations (1).json`` and users rename files, so
    the name is only a hint. A damaged ``conversations.json`` still counts by name, so the user
    gets parse()'s precise error rather than "unknown platform".

    Raises:
        PlatformError: several files have conversations and none is named so (which to read
            would be a guess, and reading all could count conversations twice).
    """
    return source.locate(
        _MAIN,
        ".json",
        looks_like_conversations,
        what="several files hold ChatGPT conversations",
        advice="keep one and name it conversations.json",
    )


class ChatGPTParser:
    """Importer for ChatGPT's ``conversations.json``."""

    name = "chatgpt"

    def sniff(self, source: ExportSource) -> bool:
        """True when the export holds ``conversations.json``, or a file whose first bytes are
        plainly ChatGPT conversations whatever its name (see :func:`_locate`)."""
        try:
            return _locate(source) is not None
        except PlatformError:
            return True  # it is ChatGPT; parse() says which files clash

    def parse(
        self, source: ExportSource, limits: Limits, *, on_records: RecordsCallback | None = None
    ) -> ParsedExport:
        """Stream every conversation's visible branch into records."""
        member = _locate(source)
        if member is None:
            raise WrongPlatform(f"not a ChatGPT export: no {_MAIN}", file=source.label)
        file = source.describe(member)
        records: list[Record] = []
        with source.open(member) as fh:
            cursor = JsonCursor(
                iter_text(fh, file=file), file=file, max_value_chars=limits.max_record_bytes
            )
            for item in iter_json(cursor, lambda path: path == ()):
                if item.path == ():
                    raise InvalidStructure(
                        "expected a JSON array of conversations", file=file, line=1, column=1
                    )
                for record in _conversation(item, file):
                    if len(records) >= limits.max_records:
                        raise TooManyRecords(f"more than {limits.max_records} records", file=file)
                    records.append(record)
                    report_records(on_records, len(records))
        if not records:
            raise EmptyExport("no messages with text", file=file)
        report_records(on_records, len(records), final=True)
        account, email = _account(source, limits)
        return ParsedExport(
            platform=self.name,
            account=account,
            records=tuple(records),
            source=source.label,
            email=email,
        )


def _account(source: ExportSource, limits: Limits) -> tuple[str | None, str | None]:
    """``(id, email)`` from ``user.json``, each None when absent or damaged."""
    member = source.find("user.json")
    if member is None or source.size(member) > min(limits.max_record_bytes, 1 << 20):
        return None, None
    with source.open(member) as fh:
        raw = fh.read()
    try:
        user = safejson.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, None  # the handle is optional; a damaged user.json does not spoil the export
    uid = user.get("id") if isinstance(user, dict) else None
    mail = user.get("email") if isinstance(user, dict) else None
    return (
        clean_text(uid) if isinstance(uid, str) and uid else None,
        clean_text(mail) if isinstance(mail, str) and "@" in mail else None,
    )


def _conversation(item: JsonItem, file: str) -> list[Record]:
    conv = item.value
    where = json_path(item.path)

    def bad(reason: str, sub: str = "") -> InvalidStructure:
        return InvalidStructure(reason, file=file, line=item.line, path=where + sub)

    if not isinstance(conv, dict):
        raise bad("a conversation must be a JSON object")
    mapping = conv.get("mapping")
    if not isinstance(mapping, dict):
        raise bad("conversation has no 'mapping' object", ".mapping")
    conv_id = conv.get("conversation_id") or conv.get("id")
    if not isinstance(conv_id, str) or not conv_id:
        raise bad("conversation has no 'id'", ".id")
    conv_time = conv.get("create_time")
    fallback = (
        unix_time(conv_time, file=file, path=where + ".create_time", line=item.line)
        if conv_time is not None
        else None
    )
    records = []
    for node_id, node in _branch(conv, mapping, file=file, where=where, line=item.line):
        message = node.get("message")
        if message is None:
            continue
        msg_where = f"{where}.mapping.{node_id}.message"
        if not isinstance(message, dict):
            raise bad("'message' must be an object or null", f".mapping.{node_id}.message")
        text = _text(message)
        if not text:
            continue
        metadata = message.get("metadata")
        if isinstance(metadata, dict) and metadata.get("is_visually_hidden_from_conversation"):
            continue
        author = message.get("author")
        role = author.get("role") if isinstance(author, dict) else None
        if not isinstance(role, str):
            raise bad("message has no author role", f".mapping.{node_id}.message.author")
        created = message.get("create_time")
        ts: datetime | None
        if created is not None:
            ts = unix_time(created, file=file, path=msg_where + ".create_time", line=item.line)
            fallback = ts if fallback is None or ts > fallback else fallback
        else:
            ts = fallback  # no time of its own: the latest time before it in the branch
        msg_id = message.get("id") if isinstance(message.get("id"), str) else node_id
        records.append(
            Record(
                id=clean_text(f"{conv_id}:{msg_id}"),
                timestamp=ts,
                kind="message",
                text=clean_text(text),
                author=clean_text(role),
                thread=clean_text(conv_id),
            )
        )
    return records


def _branch(
    conv: Mapping[str, Any], mapping: dict[str, Any], *, file: str, where: str, line: int
) -> list[tuple[str, dict[str, Any]]]:
    """The visible branch, root first: walk ``parent`` links up from ``current_node``."""

    def tree_error(reason: str, node: object) -> MessageTreeError:
        return MessageTreeError(reason, file=file, line=line, path=f"{where}.mapping.{node}")

    current = conv.get("current_node")
    if current is None:
        current = _latest_leaf(mapping)
        if current is None:
            return []
    if not isinstance(current, str) or current not in mapping:
        raise MessageTreeError(
            f"current_node {current!r} is not in mapping",
            file=file,
            line=line,
            path=f"{where}.current_node",
        )
    chain: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    node_id: object = current
    while node_id is not None:
        if not isinstance(node_id, str) or node_id not in mapping:
            raise tree_error(f"parent {node_id!r} is not in mapping", chain[-1][0])
        if node_id in seen:
            raise tree_error("cycle in the message tree", node_id)
        seen.add(node_id)
        node = mapping[node_id]
        if not isinstance(node, dict):
            raise tree_error("a mapping entry must be an object", node_id)
        chain.append((node_id, node))
        node_id = node.get("parent")
    chain.reverse()
    return chain


def _latest_leaf(mapping: dict[str, Any]) -> str | None:
    best: tuple[float, str] | None = None
    for node_id, node in mapping.items():
        if not isinstance(node, dict) or node.get("children"):
            continue
        message = node.get("message")
        created = message.get("create_time") if isinstance(message, dict) else None
        try:
            when = float(created) if isinstance(created, int | float) else 0.0
        except OverflowError:  # an int past any float: not a time; parse() refuses it if used
            when = 0.0
        key = (when, node_id)
        if best is None or key > best:
            best = key
    return best[1] if best else None


def _text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if not isinstance(content, dict):
        return ""
    parts = content.get("parts")
    text: Any
    if isinstance(parts, list):
        text = "\n".join(p for p in parts if isinstance(p, str) and p)
    else:
        text = content.get("text")
    # Whitespace is kept (it matters in code); only whitespace-only messages count as empty.
    return text if isinstance(text, str) and text.strip() else ""
