"""Reddit data request export (reddit.com/settings/data-request).

Accepted format
---------------
A zip (or extracted folder) of UTF-8 CSV files with a header row. We read:

* ``comments.csv``: ``id, permalink, date, ip, subreddit, gildings, link, parent, body, media``
  (required: ``id``, ``date``, ``body``);
* ``posts.csv``: ``id, permalink, date, ip, subreddit, gildings, title, url, body``
  (required: ``id``, ``date``, ``title``);
* ``messages.csv`` and, in newer exports, ``messages_archive.csv``:
  ``id, permalink, thread_id, date, ip, from, to, subject, body`` (required: ``id``, ``date``,
  ``body``), when present;
* ``statistics.csv`` (``statistic, value``), when present, for the account name
  (``account name`` or ``username`` row) and the account e-mail (``email address`` row), which
  ownership proofs are checked against (``ParsedExport.email``).

At least one of ``comments.csv`` and ``posts.csv`` must be there. The many other files of the
export (votes, saved items, IP logs, …) are not imported: they are not the user's text, and some
(``ip`` columns, ``ip_logs.csv``) are exactly what must not be shared.

Quirks handled
--------------
* ``date`` is ``YYYY-MM-DD HH:MM:SS UTC`` (also accepted: ISO 8601).
* Bodies of deleted or removed items read ``[deleted]`` / ``[removed]``; they and empty bodies
  are skipped. Posts' text is the title, then a blank line and the self-text when there is one.
* Bodies are quoted and contain newlines; rows are counted as CSV records, not lines, in errors.
* A UTF-8 BOM at the start of a file is ignored.

Records: ``id`` is the Reddit fullname (``t1_…`` comments, ``t3_…`` posts, ``t4_…`` messages),
``kind`` ``comment``/``post``/``message``, ``thread`` ``r/<subreddit>`` (messages: the
``thread_id``), ``author`` for messages ``self``/``other`` when the account name is known.
Files are streamed row by row.
"""

from __future__ import annotations

import csv

from node.parsers._stream import clean_text, iso_time, iter_csv
from node.parsers.archive import ExportSource
from node.parsers.base import Limits, ParsedExport, Record, RecordsCallback, report_records
from node.parsers.errors import EmptyExport, TooManyRecords, WrongPlatform

__all__ = ["RedditParser"]

_SKIP = frozenset({"", "[deleted]", "[removed]"})
# member -> (kind, fullname prefix, required columns)
_FILES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("comments.csv", "comment", "t1_", ("id", "date", "body")),
    ("posts.csv", "post", "t3_", ("id", "date", "title")),
    ("messages.csv", "message", "t4_", ("id", "date", "body")),
    ("messages_archive.csv", "message", "t4_", ("id", "date", "body")),
)
# The header columns that say plainly which Reddit file a CSV is, whatever it is called. Each set
# holds columns only Reddit's export has together (``permalink`` with ``subreddit`` or
# ``thread_id``), so a CSV of another origin with an ``id`` and a ``body`` is not claimed.
_SIGNATURES: dict[str, frozenset[str]] = {
    "comment": frozenset({"id", "permalink", "date", "subreddit", "link", "parent", "body"}),
    "post": frozenset({"id", "permalink", "date", "subreddit", "title", "url"}),
    "message": frozenset({"id", "permalink", "thread_id", "date", "from", "to", "body"}),
}
_KINDS = {kind: (prefix, required) for _, kind, prefix, required in _FILES}


def csv_kind(head: str) -> str | None:
    """Which Reddit file (``comment``, ``post``, ``message``) a CSV's first line says it is."""
    first = head.split("\n", 1)[0]
    try:
        header = next(csv.reader([first]), [])
    except csv.Error:
        return None
    columns = {h.strip() for h in header}
    for kind, signature in _SIGNATURES.items():
        if signature <= columns:
            return kind
    return None


def _members(source: ExportSource) -> list[tuple[str, str]]:
    """``(member, kind)`` to read, in a fixed order.

    A kind found by its file name (``comments.csv``…) is read from those files only; a kind not
    found by name is read from every CSV whose header is that kind's (``comments (1).csv``, a
    renamed file), so the name is a hint and never the only way in.
    """
    out: list[tuple[str, str]] = []
    named: set[str] = set()
    for name, kind, _, _ in _FILES:
        member = source.find(name)
        if member is not None:
            out.append((member, kind))
            named.add(kind)
    taken = {m for m, _ in out}
    for member in source.candidates(".csv"):
        if member in taken:
            continue
        by_header = csv_kind(source.head_text(member) or "")
        if by_header is not None and by_header not in named:
            out.append((member, by_header))
    return out


class RedditParser:
    """Importer for Reddit's GDPR data export."""

    name = "reddit"

    def sniff(self, source: ExportSource) -> bool:
        """True when the export has ``comments.csv`` or ``posts.csv``, or a CSV whose header
        is plainly Reddit's comments, posts or messages, whatever its name.

        A damaged file with the right name still counts, so it gets parse()'s precise error.
        """
        if source.find("comments.csv") is not None or source.find("posts.csv") is not None:
            return True
        return any(kind in ("comment", "post") for _, kind in _members(source))

    def parse(
        self, source: ExportSource, limits: Limits, *, on_records: RecordsCallback | None = None
    ) -> ParsedExport:
        """Stream comments, posts and messages into records."""
        members = _members(source)
        if not any(kind in ("comment", "post") for _, kind in members):
            raise WrongPlatform(
                "not a Reddit export: neither comments.csv nor posts.csv", file=source.label
            )
        account, email = _account(source, limits)
        records: list[Record] = []
        for member, kind in members:
            prefix, required = _KINDS[kind]
            file = source.describe(member)
            with source.open(member) as fh:
                for row in iter_csv(
                    fh, file=file, max_chars=limits.max_record_bytes, required=required
                ):
                    v = row.values
                    text = v["title"] if kind == "post" else v["body"]
                    if kind == "post" and v.get("body", "") not in _SKIP:
                        text = f"{text}\n\n{v['body']}" if text else v["body"]
                    if text.strip() in _SKIP:
                        continue
                    if kind == "message":
                        thread = v.get("thread_id") or None
                        sender = v.get("from")
                        author = (
                            None if account is None else ("self" if sender == account else "other")
                        )
                    else:
                        sub = v.get("subreddit", "")
                        thread = f"r/{sub}" if sub else None
                        author = None
                    if len(records) >= limits.max_records:
                        raise TooManyRecords(f"more than {limits.max_records} records", file=file)
                    records.append(
                        Record(
                            id=clean_text(prefix + v["id"]),
                            timestamp=iso_time(v["date"], file=file, row=row.row),
                            kind=kind,
                            text=clean_text(text),
                            author=author,
                            thread=thread,
                        )
                    )
                    report_records(on_records, len(records))
        if not records:
            raise EmptyExport("no comments, posts or messages with text", file=source.label)
        report_records(on_records, len(records), final=True)
        return ParsedExport(
            platform=self.name,
            account=account,
            records=tuple(records),
            source=source.label,
            email=email,
        )


def _account(source: ExportSource, limits: Limits) -> tuple[str | None, str | None]:
    """``(account name, email address)`` from ``statistics.csv``, each None when absent."""
    member = source.find("statistics.csv")
    if member is None:
        return None, None
    account = email = None
    with source.open(member) as fh:
        rows = iter_csv(
            fh,
            file=source.describe(member),
            max_chars=min(limits.max_record_bytes, 1 << 16),
            required=("statistic", "value"),
        )
        for row in rows:
            key = row.values["statistic"].strip().lower()
            value = row.values["value"].strip()
            if key in ("account name", "username", "account_name") and account is None:
                account = clean_text(value) or None
            elif key in ("email", "email address", "email_address") and "@" in value:
                email = email or clean_text(value)
    return account, email
