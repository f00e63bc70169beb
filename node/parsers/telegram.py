"""Telegram Desktop export ("Settings → Advanced → Export Telegram data", format "JSON").

Accepted format
---------------
``result.json`` (in a zip, a folder, or alone), in one of the two shapes Telegram Desktop writes
in its "machine-readable JSON" format:

* a full account export::

    {"about": "…", "personal_information": {"user_id": 123, "username": "@me", …},
     "chats": {"about": "…", "list": [{"name": "…", "type": "personal_chat", "id": 456,
                                       "messages": [message, …]}, …]},
     "left_chats": {"about": "…", "list": [chat, …]}, …}

* a single chat export: ``{"name": "…", "type": "…", "id": 456, "messages": [message, …]}``.

A message::

    {"id": 17, "type": "message", "date": "2023-04-01T12:30:05", "date_unixtime": "1680352205",
     "from": "Alice", "from_id": "user123",
     "text": "plain" | ["plain ", {"type": "bold", "text": "bold"}, …], "text_entities": […]}

Quirks handled
--------------
* ``text`` is a string, or a list mixing strings and entity objects (``bold``, ``link``,
  ``mention``, ``code``, …) each with a string ``text``; the pieces are concatenated. Anything
  else in that list (numbers, null, an entity without string ``text``) raises
  :class:`~node.parsers.errors.TextEntityError` with the message's position.
* ``date`` is local time *without* an offset; ``date_unixtime`` (exports since 2021) is used when
  present, otherwise ``date`` is taken as UTC.
* ``type: "service"`` entries (joins, pins, calls) and messages without text (stickers, media
  without caption) are skipped.
* A chat's ``id`` must come before its ``messages`` (Telegram Desktop always writes it so);
  otherwise record ids could not be formed while streaming and the file is refused.

Records: ``id`` ``<chat id>:<message id>``, ``kind`` ``message``, ``thread`` the chat id,
``author`` ``self`` (``from_id`` is ``user<own user_id>``) or ``other`` when the export states the
account, else None. Other people's names and ids are not carried into records. Messages are
streamed one at a time.
"""

from __future__ import annotations

import re
from typing import Any

from node.parsers._stream import (
    JsonCursor,
    JsonItem,
    JsonPath,
    clean_text,
    iso_time,
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
    PlatformError,
    TextEntityError,
    TooManyRecords,
    WrongPlatform,
)

__all__ = ["TelegramParser"]

_CHAT_LISTS = ("chats", "left_chats")


def _descend(path: JsonPath) -> bool:
    """Containers to walk into: the chat lists down to each message, and (to keep each decoded
    value small) the first two levels of everything else."""
    n = len(path)
    if n == 0:
        return True
    if path[0] == "messages":  # a single-chat export: each message is one value
        return n == 1
    if path[0] in _CHAT_LISTS and n >= 2 and path[1] == "list":
        return n <= 3 or (n == 4 and path[3] == "messages")
    return n <= 2


_MAIN = "result.json"
_OBJECT_START = re.compile(r'\s*\{\s*"')
# A full export: the account section or a chat list with its "about" line. A single chat: its
# Telegram chat type next to a "messages" array. Telegram Desktop writes these keys first.
_FULL = re.compile(
    r'"personal_information"\s*:\s*\{\s*"user_id"|"(?:left_)?chats"\s*:\s*\{\s*"about"\s*:'
)
_CHAT_TYPE = re.compile(
    r'"type"\s*:\s*"(?:personal_chat|bot_chat|saved_messages|replies|verification_codes|'
    r'private_group|private_supergroup|public_supergroup|private_channel|public_channel)"'
)
_MESSAGES = re.compile(r'"messages"\s*:\s*\[')


def looks_like_telegram(head: str) -> bool:
    """Whether the start of a file is plainly a Telegram Desktop JSON export."""
    if _OBJECT_START.match(head) is None:
        return False
    return _FULL.search(head) is not None or (
        _CHAT_TYPE.search(head) is not None and _MESSAGES.search(head) is not None
    )


def _locate(source: ExportSource) -> str | None:
    """``result.json`` by name; else the one file whose content is a Telegram export.

    ``result (1).json`` (a browser's second download) or a renamed file is found by content;
    a damaged ``result.json`` still counts by name so parse() can say what is wrong with it.

    Raises:
        PlatformError: several files are Telegram exports and none is named ``result.json``.
    """
    return source.locate(
        _MAIN,
        ".json",
        looks_like_telegram,
        what="several files are Telegram exports",
        advice="contribute them one at a time",
    )


class TelegramParser:
    """Importer for Telegram Desktop's JSON export."""

    name = "telegram"

    def sniff(self, source: ExportSource) -> bool:
        """True when the export has ``result.json`` (Telegram Desktop's file name) or a file
        whose first bytes plainly are a Telegram export, whatever its name."""
        try:
            return _locate(source) is not None
        except PlatformError:
            return True  # it is Telegram; parse() says which files clash

    def parse(
        self, source: ExportSource, limits: Limits, *, on_records: RecordsCallback | None = None
    ) -> ParsedExport:
        """Stream every chat's messages into records."""
        member = _locate(source)
        if member is None:
            raise WrongPlatform("not a Telegram export: no result.json", file=source.label)
        file = source.describe(member)
        state = _State(file)
        records: list[Record] = []
        with source.open(member) as fh:
            cursor = JsonCursor(
                iter_text(fh, file=file), file=file, max_value_chars=limits.max_record_bytes
            )
            for item in iter_json(cursor, _descend):
                record = state.feed(item)
                if record is None:
                    continue
                if len(records) >= limits.max_records:
                    raise TooManyRecords(f"more than {limits.max_records} records", file=file)
                records.append(record)
                report_records(on_records, len(records))
        if not state.seen_messages:
            raise WrongPlatform("not a Telegram export: no chats or messages", file=file)
        if not records:
            raise EmptyExport("no messages with text", file=file)
        report_records(on_records, len(records), final=True)
        return ParsedExport(
            platform=self.name, account=state.account, records=tuple(records), source=source.label
        )


class _State:
    """What streaming has told us so far: the account, and the id of each chat."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.account: str | None = None
        self.self_id: str | None = None
        self.chat_ids: dict[JsonPath, str] = {}
        self.seen_messages = False

    def feed(self, item: JsonItem) -> Record | None:
        path = item.path
        if path == ("personal_information",) or path[:1] == ("personal_information",):
            self._personal(path, item.value)
            return None
        if len(path) == 2 and path[0] == "messages" and isinstance(path[1], int):
            return self._message(item, chat=())  # single-chat export
        if len(path) == 1 and path[0] == "id":
            self._chat_id((), item)
            return None
        if len(path) >= 4 and path[0] in _CHAT_LISTS and path[1] == "list":
            chat = path[:3]
            if len(path) == 4 and path[3] == "id":
                self._chat_id(chat, item)
            elif len(path) == 5 and path[3] == "messages":
                return self._message(item, chat=chat)
        return None

    def _personal(self, path: JsonPath, value: Any) -> None:
        info = value if path == ("personal_information",) else {path[-1]: value}
        if not isinstance(info, dict):
            return
        uid = info.get("user_id")
        if isinstance(uid, int | str) and not isinstance(uid, bool):
            self.self_id = f"user{uid}"
            self.account = self.account or str(uid)
        username = info.get("username")
        if isinstance(username, str) and username.strip("@"):
            self.account = clean_text(username.lstrip("@"))

    def _chat_id(self, chat: JsonPath, item: JsonItem) -> None:
        cid = item.value
        if isinstance(cid, bool) or not isinstance(cid, int | str):
            raise InvalidStructure(
                "chat id must be a number or string",
                file=self.file,
                line=item.line,
                path=json_path(item.path),
            )
        self.chat_ids[chat] = str(cid)

    def _message(self, item: JsonItem, *, chat: JsonPath) -> Record | None:
        self.seen_messages = True

        def bad(reason: str) -> InvalidStructure:
            return InvalidStructure(
                reason, file=self.file, line=item.line, path=json_path(item.path)
            )

        chat_id = self.chat_ids.get(chat)
        if chat_id is None:
            raise bad("message before its chat's 'id'")
        msg = item.value
        if not isinstance(msg, dict):
            raise bad("a message must be a JSON object")
        if msg.get("type", "message") != "message":
            return None
        mid = msg.get("id")
        if isinstance(mid, bool) or not isinstance(mid, int | str):
            raise bad("message has no id")
        text = self._text(msg.get("text", ""), item)
        if not text.strip():
            return None
        if "date_unixtime" in msg:
            ts = unix_time(msg["date_unixtime"], file=self.file, line=item.line)
        elif isinstance(msg.get("date"), str):
            ts = iso_time(msg["date"], file=self.file, line=item.line)
        else:
            raise bad("message has no date")
        author = None
        if self.self_id is not None:
            author = "self" if msg.get("from_id") == self.self_id else "other"
        return Record(
            id=clean_text(f"{chat_id}:{mid}"),
            timestamp=ts,
            kind="message",
            text=clean_text(text),
            author=author,
            thread=clean_text(chat_id),
        )

    def _text(self, text: Any, item: JsonItem) -> str:
        if isinstance(text, str):
            return text
        where = json_path(item.path)
        if not isinstance(text, list):
            raise TextEntityError(
                f"'text' must be a string or a list, not {type(text).__name__}",
                file=self.file,
                line=item.line,
                path=where + ".text",
            )
        pieces = []
        for i, piece in enumerate(text):
            if isinstance(piece, str):
                pieces.append(piece)
            elif isinstance(piece, dict) and isinstance(piece.get("text"), str):
                pieces.append(piece["text"])
            else:
                raise TextEntityError(
                    f"text entity is neither a string nor an object with string 'text': "
                    f"{str(piece)[:60]!r}",
                    file=self.file,
                    line=item.line,
                    path=f"{where}.text[{i}]",
                )
        return "".join(pieces)
