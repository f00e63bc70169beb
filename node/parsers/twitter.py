"""X/Twitter archive ("Settings → Your account → Download an archive of your data").

Accepted format
---------------
A zip (or extracted folder) with ``data/tweets.js``. The ``.js`` files are JavaScript, not JSON:
each is one assignment whose right-hand side is a JSON array::

    window.YTD.tweets.part0 = [
      {"tweet": {"id_str": "1712345678901234567", "created_at": "Wed Oct 11 20:19:24 +0000 2023",
                 "full_text": "hello &amp; welcome", "in_reply_to_status_id_str": null, …}},
      …]

``data/account.js`` (``window.YTD.account.part0 = [{"account": {"username": "…", …}}]``) gives
the handle, when present, and the account's ``email`` (``ParsedExport.email``, which ownership
proofs are checked against; it reaches the canonical form only together with a proof).

Quirks handled
--------------
* The ``window.YTD.<name>.partN = `` prefix is required and stripped; without it the file is
  refused with :class:`~node.parsers.errors.MissingPrefix` (an export edited into plain JSON
  is not what X produces). JSON error positions count from the start of the file, prefix
  included, so they match an editor.
* Large archives split tweets into ``tweets.js``, ``tweets-part1.js``, ``tweets-part2.js``…
  (each with its own ``partN``); all parts are read, in name order. Archives before 2022 call
  the file ``tweet.js`` with ``window.YTD.tweet.part0``; accepted too.
* Older archives have the tweet object directly instead of wrapped in ``{"tweet": …}``.
* ``full_text`` is HTML-escaped (``&amp;``, ``&lt;``, ``&gt;``); it is unescaped.
* ``created_at`` is the Twitter API date format ``%a %b %d %H:%M:%S %z %Y``.
* Long posts (over 280 characters) are truncated in ``tweets.js``; their full text is in
  ``note-tweet.js``, which is not merged yet. Direct messages are not imported (they are other
  people's words too).

Records: ``id`` the tweet id, ``kind`` ``retweet`` (text starts with ``RT @``), ``reply``
(``in_reply_to_status_id_str`` set) or ``tweet``, ``thread`` the replied-to tweet id.
Each tweets file is streamed one tweet at a time.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime

from node.parsers._stream import (
    JsonCursor,
    JsonItem,
    clean_text,
    iter_json,
    iter_text,
    json_path,
    show_value,
)
from node.parsers.archive import ExportSource
from node.parsers.base import Limits, ParsedExport, Record, RecordsCallback, report_records
from node.parsers.errors import (
    EmptyExport,
    InvalidStructure,
    InvalidTimestamp,
    MissingPrefix,
    TooManyRecords,
    WrongPlatform,
)

__all__ = ["TwitterParser"]

_PREFIX = re.compile(r"\s*window\.YTD\.[A-Za-z_]+\.part\d+\s*=\s*")
_TWEETS = re.compile(r"(?:^|/)data/tweets?(?:-part\d+)?\.js$")
# The assignment that opens a tweets file says what it is, whatever the file is called.
_TWEETS_PREFIX = re.compile(r"\s*window\.YTD\.tweets?\.part(\d+)\s*=\s*\[")
_ACCOUNT_PREFIX = re.compile(r"\s*window\.YTD\.account\.part\d+\s*=\s*\[")


def looks_like_tweets(head: str) -> bool:
    """Whether the start of a file is plainly an X/Twitter ``tweets.js`` (any part)."""
    return _TWEETS_PREFIX.match(head) is not None


def _tweet_files(source: ExportSource) -> list[str]:
    """The tweets files in part order: by name (``data/tweets.js``, ``data/tweets-part1.js``),
    else by content (any ``.js`` file opening with ``window.YTD.tweets.partN = [``), so a
    renamed file or ``tweets (1).js`` is still read; the name is only a hint."""
    named = [n for n in source.names if _TWEETS.search(n)]
    parts: dict[str, int] = {}
    if named:
        for n in named:  # tweets.js is part 0; "tweets-part1" sorts before it by name
            m = re.search(r"-part(\d+)\.js$", n)
            parts[n] = int(m.group(1)) if m else 0
    else:
        for n in source.candidates(".js"):
            m = _TWEETS_PREFIX.match(source.head_text(n) or "")
            if m is not None:
                parts[n] = int(m.group(1))
    if not parts:
        return []
    # Stay within one archive root: the shallowest folder wins (see ExportSource.find).
    depth = min(n.count("/") for n in parts)
    return sorted((n for n in parts if n.count("/") == depth), key=lambda n: (parts[n], n))


class TwitterParser:
    """Importer for X/Twitter archives."""

    name = "twitter"

    def sniff(self, source: ExportSource) -> bool:
        """True when the export has ``data/tweets.js`` (or ``tweet.js``, ``tweets-partN.js``),
        or a ``.js`` file that opens as a tweets file whatever its name.

        A damaged file with the right name still counts, so it gets parse()'s precise error.
        """
        return bool(_tweet_files(source))

    def parse(
        self, source: ExportSource, limits: Limits, *, on_records: RecordsCallback | None = None
    ) -> ParsedExport:
        """Stream every tweets file into records."""
        files = _tweet_files(source)
        if not files:
            raise WrongPlatform("not an X/Twitter archive: no data/tweets.js", file=source.label)
        records: list[Record] = []
        for member in files:
            file = source.describe(member)
            for item in _ytd_items(source, member, limits):
                if len(records) >= limits.max_records:
                    raise TooManyRecords(f"more than {limits.max_records} records", file=file)
                records.append(_tweet(item, file))
                report_records(on_records, len(records))
        if not records:
            raise EmptyExport("no tweets", file=source.describe(files[0]))
        report_records(on_records, len(records), final=True)
        account, email = _account(source, limits)
        return ParsedExport(
            platform=self.name,
            account=account,
            email=email,
            records=tuple(records),
            source=source.label,
        )


def _ytd_items(source: ExportSource, member: str, limits: Limits) -> Iterator[JsonItem]:
    """The array elements of a ``window.YTD…`` file, streamed."""
    file = source.describe(member)
    with source.open(member) as fh:
        cursor = JsonCursor(
            iter_text(fh, file=file), file=file, max_value_chars=limits.max_record_bytes
        )
        if not cursor.skip_prefix(_PREFIX):
            raise MissingPrefix(
                "expected 'window.YTD.<name>.partN = ' before the JSON array",
                file=file,
                line=1,
                column=1,
            )
        for item in iter_json(cursor, lambda path: path == ()):
            if item.path == ():
                raise InvalidStructure(
                    "expected a JSON array after the prefix", file=file, line=item.line
                )
            yield item


_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def _created_at(value: object) -> datetime | None:
    """``Wed Oct 11 20:19:24 +0000 2023`` -> aware UTC datetime, or None when malformed.

    Hand-split because ``datetime.strptime`` took a third of the parse time; anything that is
    not exactly this shape falls through to strptime, which decides.
    """
    if not isinstance(value, str):
        return None
    parts = value.split(" ")
    try:
        if len(parts) == 6 and parts[4] == "+0000" and parts[1] in _MONTHS:
            hh, mm, ss = parts[3].split(":")
            return datetime(
                int(parts[5]),
                _MONTHS[parts[1]],
                int(parts[2]),
                int(hh),
                int(mm),
                int(ss),
                tzinfo=UTC,
            )
        return datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y").astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: a year beyond a C int
        return None


def _tweet(item: JsonItem, file: str) -> Record:
    obj = item.value
    tweet = obj.get("tweet", obj) if isinstance(obj, dict) else None
    if not isinstance(tweet, dict):
        raise InvalidStructure(
            "a tweet must be a JSON object", file=file, line=item.line, path=json_path(item.path)
        )
    tid = tweet.get("id_str", tweet.get("id"))
    if isinstance(tid, int) and not isinstance(tid, bool):
        tid = str(tid)
    if not isinstance(tid, str) or not tid:
        raise InvalidStructure(
            "tweet has no id_str", file=file, line=item.line, path=json_path(item.path)
        )
    text = tweet.get("full_text", tweet.get("text"))
    if not isinstance(text, str):
        raise InvalidStructure(
            "tweet has no full_text", file=file, line=item.line, path=json_path(item.path)
        )
    created = tweet.get("created_at")
    ts = _created_at(created)
    if ts is None:
        raise InvalidTimestamp(
            f"invalid created_at {show_value(created)}",
            file=file,
            line=item.line,
            path=json_path(item.path),
        )
    reply_to = tweet.get("in_reply_to_status_id_str")
    reply_to = reply_to if isinstance(reply_to, str) and reply_to else None
    text = html.unescape(text)
    kind = "retweet" if text.startswith("RT @") else "reply" if reply_to else "tweet"
    return Record(
        id=clean_text(tid),
        timestamp=ts,
        kind=kind,
        text=clean_text(text),
        thread=reply_to,
    )


def _account(source: ExportSource, limits: Limits) -> tuple[str | None, str | None]:
    """``(username, email)`` from ``data/account.js``, each None when absent."""
    member = source.find("data/account.js")
    if member is None:  # renamed: the file that opens as the account file
        found = [
            n
            for n in source.candidates(".js")
            if _ACCOUNT_PREFIX.match(source.head_text(n) or "") is not None
        ]
        if len(found) != 1:
            return None, None  # the handle is optional; two candidates would be a guess
        member = found[0]
    for item in _ytd_items(source, member, limits):
        entry = item.value.get("account") if isinstance(item.value, dict) else None
        username = entry.get("username") if isinstance(entry, dict) else None
        mail = entry.get("email") if isinstance(entry, dict) else None
        if isinstance(username, str) and username:
            return clean_text(username), (
                clean_text(mail) if isinstance(mail, str) and "@" in mail else None
            )
    return None, None
