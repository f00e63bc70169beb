"""Synthetic platform exports: deterministic by seed, of a given size, never real people's data.

Used by the tests, the parser benchmark (``scripts/bench/parsers.py``) and the demo, which needs
realistic ChatGPT, Reddit, X and Telegram exports without anyone's real data. Each generator
writes a zip in the documented shape of its platform (see each parser's docstring), including
the quirks the parser must handle (branches and hidden system messages in ChatGPT trees,
``[deleted]`` Reddit bodies, HTML-escaped tweets, Telegram entity lists and service messages),
and returns what a correct parser must find: the number of records per kind and the PII that
was planted (e-mails at ``example.com``, ``(555) 01x-xxxx`` numbers, URLs with ``token=``), so a
test can assert exact counts.

Text is drawn from an invented vocabulary of syllables, so it resembles prose to a compressor
(ratios of 3-5x, like real exports) without being anybody's words. The same seed and size give
byte-identical archives (fixed zip timestamps, fixed compression level).

Example::

    from node.parsers.synthetic import generate
    info = generate("chatgpt", "/tmp/chatgpt.zip", seed=7, size_bytes=5_000_000)
"""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
import tempfile
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

__all__ = [
    "SyntheticExport",
    "chatgpt_export",
    "generate",
    "generators",
    "generic_jsonl",
    "reddit_export",
    "synthetic_email",
    "telegram_export",
    "twitter_export",
]

_SYLLABLES = [
    "ba",
    "be",
    "bi",
    "bo",
    "da",
    "de",
    "di",
    "do",
    "fa",
    "fe",
    "fi",
    "ka",
    "ke",
    "ki",
    "ko",
    "la",
    "le",
    "li",
    "lo",
    "ma",
    "me",
    "mi",
    "mo",
    "na",
    "ne",
    "ni",
    "no",
    "pa",
    "pe",
    "pi",
    "po",
    "ra",
    "re",
    "ri",
    "ro",
    "sa",
    "se",
    "si",
    "so",
    "ta",
    "te",
    "ti",
    "to",
    "va",
    "ve",
    "vi",
    "vo",
    "za",
    "ze",
    "zi",
    "zo",
    "an",
    "en",
    "in",
    "on",
    "ar",
    "er",
    "ir",
    "or",
    "el",
    "al",
    "il",
    "ol",
    "ust",
    "ent",
    "ing",
    "ion",
]
_START = 1_600_000_000  # 2020-09-13, in unix seconds
_SPAN = 120_000_000  # about 3.8 years


@dataclass(frozen=True, slots=True)
class SyntheticExport:
    """A generated export and what parsing it must yield.

    Attributes:
        path: the zip written.
        platform: the parser name.
        account: the handle the parser should report.
        records: records the parser must yield.
        by_kind: those records per kind.
        pii: PII planted in those records, per scrub kind (``email``, ``phone``, ``url_secret``).
        size_bytes: uncompressed size of the main data file.
        email: the account e-mail the parser should report (None where the platform's export
            states none).
    """

    path: Path
    platform: str
    account: str | None
    records: int
    by_kind: Mapping[str, int]
    pii: Mapping[str, int]
    size_bytes: int
    email: str | None = None


def synthetic_email(seed: int) -> str:
    """The account e-mail a synthetic export of ``seed`` states (``example.org``: never real)."""
    return f"user{seed}@example.org"


class _Text:
    """Deterministic pseudo-prose with optional planted PII."""

    def __init__(self, rng: random.Random, pii_rate: float) -> None:
        self.rng = rng
        self.pii_rate = pii_rate
        self.vocab = [
            "".join(rng.choices(_SYLLABLES, k=rng.choice((1, 1, 2, 2, 2, 3, 3, 4))))
            for _ in range(4000)
        ]
        self.pii: Counter[str] = Counter()

    def sentence(self, words: int) -> str:
        ws = self.rng.choices(self.vocab, k=max(1, words))
        ws[0] = ws[0].capitalize()
        return " ".join(ws) + self.rng.choice((".", ".", ".", "?", "!"))

    def paragraph(self, sentences: int) -> str:
        return " ".join(self.sentence(self.rng.randint(4, 18)) for _ in range(max(1, sentences)))

    def message(self, sentences: int, *, plant: bool = True) -> str:
        text = self.paragraph(sentences)
        if plant and self.rng.random() < self.pii_rate:
            text += " " + self._pii()
        return text

    def _pii(self) -> str:
        kind = self.rng.choice(("email", "phone", "url_secret"))
        self.pii[kind] += 1
        n = self.rng.randrange(10_000)
        if kind == "email":
            return f"write to {self.rng.choice(self.vocab)}.{n}@example.com"
        if kind == "phone":
            return f"call (555) 01{n % 10}-{n:04d}"
        return f"see https://api.example.net/v1/items?id={n}&token={self.rng.getrandbits(64):016x}"

    def ts(self) -> float:
        return _START + self.rng.random() * _SPAN


@contextmanager
def _zip_member(zf: zipfile.ZipFile, name: str) -> Iterator[IO[bytes]]:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    with zf.open(info, "w", force_zip64=True) as fh:
        yield fh


def _write_small(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    with _zip_member(zf, name) as fh:
        fh.write(data)


def _plan(size_bytes: int | None, count: int | None, default: int) -> Callable[[int, int], bool]:
    """``more(written_bytes, made)``: whether to generate another item."""
    if size_bytes is not None:
        return lambda written, made: written < size_bytes
    target = default if count is None else count
    return lambda written, made: made < target


def chatgpt_export(
    path: str | Path,
    *,
    seed: int = 0,
    conversations: int | None = None,
    size_bytes: int | None = None,
    pii_rate: float = 0.05,
    email: str | None = None,
) -> SyntheticExport:
    """A ChatGPT export: ``conversations.json`` (indented like OpenAI's) and ``user.json``
    (``id`` and ``email``, default :func:`synthetic_email`)."""
    email = email or synthetic_email(seed)
    rng = random.Random(seed)  # noqa: S311 -- reproducible test data, not secrets
    gen = _Text(rng, pii_rate)
    more = _plan(size_bytes, conversations, 20)
    records = 0
    written = 0
    path = Path(path)
    with zipfile.ZipFile(path, "w") as zf:
        with _zip_member(zf, "conversations.json") as fh:
            fh.write(b"[")
            made = 0
            while more(written, made):
                conv, n = _conversation(rng, gen, made)
                data = (b"," if made else b"") + json.dumps(conv, indent=2).encode()
                fh.write(data)
                written += len(data)
                records += n
                made += 1
            fh.write(b"]")
        user = {"id": f"user-{seed:08d}synthetic", "email": email}
        _write_small(zf, "user.json", json.dumps(user).encode())
    return SyntheticExport(
        path,
        "chatgpt",
        f"user-{seed:08d}synthetic",
        records,
        {"message": records},
        dict(gen.pii),
        written + 2,
        email,
    )


def _conversation(rng: random.Random, gen: _Text, index: int) -> tuple[dict[str, Any], int]:
    conv_id = f"{rng.getrandbits(128):032x}"
    t0 = gen.ts()
    mapping: dict[str, dict[str, Any]] = {}

    def node(parent: str | None, message: dict[str, Any] | None) -> str:
        nid = f"{rng.getrandbits(128):032x}"
        mapping[nid] = {"id": nid, "message": message, "parent": parent, "children": []}
        if parent is not None:
            mapping[parent]["children"].append(nid)
        return nid

    def msg(role: str, text: str | None, t: float | None, **extra: Any) -> dict[str, Any]:
        parts: list[Any] = [] if text is None else [text]
        if text is not None and rng.random() < 0.05:
            parts.append({"content_type": "image_asset_pointer", "asset_pointer": "file-x"})
        return {
            "id": f"{rng.getrandbits(128):032x}",
            "author": {"role": role, "name": None, "metadata": {}},
            "create_time": t,
            "update_time": None,
            "content": {"content_type": "text", "parts": parts},
            "status": "finished_successfully",
            "end_turn": None,
            "weight": 1.0,
            "metadata": extra,
            "recipient": "all",
        }

    root = node(None, None)
    current = node(root, msg("system", "", None, is_visually_hidden_from_conversation=True))
    counted = 0
    t = t0
    for turn in range(rng.randint(1, 10)):
        t += rng.random() * 60
        current = node(current, msg("user", gen.message(rng.randint(1, 3)), t))
        if rng.random() < 0.15:  # a regenerated answer: an abandoned sibling branch
            node(current, msg("assistant", gen.message(2, plant=False), t + 1))
        t += rng.random() * 30
        created = None if rng.random() < 0.05 else t
        current = node(current, msg("assistant", gen.message(rng.randint(2, 8)), created))
        counted += 2
        del turn
    conv = {
        "title": gen.sentence(4)[:-1],
        "create_time": t0,
        "update_time": t,
        "mapping": mapping,
        "moderation_results": [],
        "current_node": current,
        "plugin_ids": None,
        "conversation_id": conv_id,
        "conversation_template_id": None,
        "gizmo_id": None,
        "is_archived": False,
        "id": conv_id,
    }
    return conv, counted


def _csv_bytes(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode()


def _reddit_date(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def reddit_export(
    path: str | Path,
    *,
    seed: int = 0,
    items: int | None = None,
    size_bytes: int | None = None,
    pii_rate: float = 0.05,
) -> SyntheticExport:
    """A Reddit export: comments.csv, posts.csv, messages.csv, statistics.csv (+ an IP log)."""
    rng = random.Random(seed)  # noqa: S311 -- reproducible test data, not secrets
    gen = _Text(rng, pii_rate)
    more = _plan(size_bytes, items, 60)
    account = f"synthetic_user_{seed}"
    subs = [gen.vocab[i] for i in range(12)]
    kinds: Counter[str] = Counter()
    written = 0
    path = Path(path)
    heads = {
        "comments.csv": "id,permalink,date,ip,subreddit,gildings,link,parent,body,media",
        "posts.csv": "id,permalink,date,ip,subreddit,gildings,title,url,body",
        "messages.csv": "id,permalink,thread_id,date,ip,from,to,subject,body",
    }
    # zipfile allows one open write handle, so the three CSVs are spooled, then copied in.
    with ExitStack() as stack:
        handles: dict[str, IO[bytes]] = {}
        for name, head in heads.items():
            spool = stack.enter_context(tempfile.SpooledTemporaryFile(max_size=64 << 20))
            spool.write(head.encode() + b"\r\n")
            handles[name] = spool
        made = 0
        while more(written, made):
            made += 1
            rid = f"{rng.getrandbits(40):x}"
            sub = rng.choice(subs)
            ts = gen.ts()
            ip = f"203.0.113.{rng.randrange(256)}"
            roll = rng.random()
            if roll < 0.7:
                deleted = rng.random() < 0.03
                body = "[deleted]" if deleted else gen.message(rng.randint(1, 6))
                row = [
                    rid,
                    f"https://www.reddit.com/r/{sub}/comments/x/_/{rid}/",
                    _reddit_date(ts),
                    ip,
                    sub,
                    "0",
                    f"https://www.reddit.com/r/{sub}/comments/x/",
                    "",
                    body,
                    "",
                ]
                name = "comments.csv"
                kinds["comment"] += 0 if deleted else 1
            elif roll < 0.9:
                body = gen.message(rng.randint(0, 8)) if rng.random() < 0.7 else ""
                row = [
                    rid,
                    f"https://www.reddit.com/r/{sub}/comments/{rid}/",
                    _reddit_date(ts),
                    ip,
                    sub,
                    "0",
                    gen.sentence(rng.randint(3, 12)),
                    "",
                    body,
                ]
                name = "posts.csv"
                kinds["post"] += 1
            else:
                sender = account if rng.random() < 0.5 else "someone_else"
                row = [
                    rid,
                    f"https://www.reddit.com/message/messages/{rid}",
                    f"t4_{rid}",
                    _reddit_date(ts),
                    ip,
                    sender,
                    "x",
                    gen.sentence(3),
                    gen.message(2),
                ]
                name = "messages.csv"
                kinds["message"] += 1
            data = _csv_bytes([row])
            handles[name].write(data)
            written += len(data)
        with zipfile.ZipFile(path, "w") as zf:
            for name, handle in handles.items():
                handle.seek(0)
                with _zip_member(zf, name) as out:
                    shutil.copyfileobj(handle, out, 1 << 20)
            stats = [
                ["statistic", "value"],
                ["account name", account],
                ["email address", synthetic_email(seed)],
                ["is_deleted", "False"],
            ]
            _write_small(zf, "statistics.csv", _csv_bytes(stats))
            ip_log = [["date", "ip"], ["2024-01-01", "203.0.113.9"]]
            _write_small(zf, "ip_logs.csv", _csv_bytes(ip_log))
    return SyntheticExport(
        path,
        "reddit",
        account,
        sum(kinds.values()),
        dict(sorted(kinds.items())),
        dict(gen.pii),
        written,
        synthetic_email(seed),
    )


def twitter_export(
    path: str | Path,
    *,
    seed: int = 0,
    tweets: int | None = None,
    size_bytes: int | None = None,
    pii_rate: float = 0.05,
    part_size: int | None = None,
    email: str | None = None,
) -> SyntheticExport:
    """An X/Twitter archive: data/tweets.js (+ tweets-partN.js every ``part_size`` tweets)."""
    rng = random.Random(seed)  # noqa: S311 -- reproducible test data, not secrets
    gen = _Text(rng, pii_rate)
    more = _plan(size_bytes, tweets, 50)
    handle = f"synthetic_{seed}"
    email = email or synthetic_email(seed)
    kinds: Counter[str] = Counter()
    written = 0
    path = Path(path)
    with zipfile.ZipFile(path, "w") as zf:
        _write_small(
            zf,
            "data/account.js",
            b"window.YTD.account.part0 = "
            + json.dumps(
                [
                    {
                        "account": {
                            "username": handle,
                            "email": email,
                            "accountId": str(seed),
                            "createdVia": "web",
                        }
                    }
                ],
                indent=2,
            ).encode(),
        )
        made = 0
        part = 0
        while more(written, made):
            name = "data/tweets.js" if part == 0 else f"data/tweets-part{part}.js"
            with _zip_member(zf, name) as fh:
                fh.write(f"window.YTD.tweets.part{part} = [".encode())
                in_part = 0
                while more(written, made) and (part_size is None or in_part < part_size):
                    tweet, kind = _tweet(rng, gen)
                    data = (b"," if in_part else b"") + json.dumps(
                        {"tweet": tweet}, indent=2
                    ).encode()
                    fh.write(data)
                    written += len(data)
                    kinds[kind] += 1
                    made += 1
                    in_part += 1
                fh.write(b"]")
            part += 1
    return SyntheticExport(
        path,
        "twitter",
        handle,
        sum(kinds.values()),
        dict(sorted(kinds.items())),
        dict(gen.pii),
        written,
        email,
    )


def _tweet(rng: random.Random, gen: _Text) -> tuple[dict[str, Any], str]:
    tid = str(10**18 + rng.getrandbits(59))
    roll = rng.random()
    text = gen.message(rng.randint(1, 3))
    reply_to = None
    if roll < 0.1:
        text, kind = f"RT @{rng.choice(gen.vocab)}: {text}", "retweet"
    elif roll < 0.4:
        reply_to, kind = str(10**18 + rng.getrandbits(59)), "reply"
    else:
        kind = "tweet"
    if rng.random() < 0.1:
        text += " & more <3"
    created = datetime.fromtimestamp(int(gen.ts()), UTC).strftime("%a %b %d %H:%M:%S +0000 %Y")
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return {
        "edit_info": {
            "initial": {"editTweetIds": [tid], "editableUntil": "x", "editsRemaining": "5"}
        },
        "retweeted": False,
        "source": '<a href="https://example.invalid" rel="nofollow">Synthetic</a>',
        "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
        "display_text_range": ["0", str(len(text))],
        "favorite_count": str(rng.randrange(50)),
        "in_reply_to_status_id_str": reply_to,
        "id_str": tid,
        "truncated": False,
        "retweet_count": "0",
        "id": tid,
        "created_at": created,
        "favorited": False,
        "full_text": escaped,
        "lang": "und",
    }, kind


def telegram_export(
    path: str | Path,
    *,
    seed: int = 0,
    messages: int | None = None,
    size_bytes: int | None = None,
    pii_rate: float = 0.05,
) -> SyntheticExport:
    """A Telegram Desktop full export: result.json with personal_information and chats."""
    rng = random.Random(seed)  # noqa: S311 -- reproducible test data, not secrets
    gen = _Text(rng, pii_rate)
    more = _plan(size_bytes, messages, 80)
    user_id = 100_000 + seed
    handle = f"synthetic_{seed}"
    counted = 0
    written = 0
    path = Path(path)
    head = {
        "about": "Here is the data you requested. Synthetic.",
        "personal_information": {
            "user_id": user_id,
            "first_name": "Synthetic",
            "last_name": "",
            "phone_number": "+1 555 010 0000",
            "username": f"@{handle}",
            "bio": "",
        },
    }
    with zipfile.ZipFile(path, "w") as zf, _zip_member(zf, "result.json") as fh:
        fh.write(
            json.dumps(head, indent=1)[:-2].encode()
            + b',\n "chats": {\n  "about": "x",\n  "list": ['
        )
        made = 0
        chat_no = 0
        while more(written, made):
            chat_id = 1_000_000 + chat_no
            chat_head = {"name": f"Chat {chat_no}", "type": "personal_chat", "id": chat_id}
            fh.write((b"," if chat_no else b"") + json.dumps(chat_head, indent=1)[:-2].encode())
            fh.write(b',\n "messages": [')
            n_msgs = rng.randint(5, 200)
            t = gen.ts()
            for i in range(n_msgs):
                if not more(written, made):
                    break
                t += rng.random() * 600
                m, counts = _tg_message(rng, gen, i + 1, t, user_id)
                data = (b"," if i else b"") + json.dumps(m, indent=1, ensure_ascii=False).encode()
                fh.write(data)
                written += len(data)
                counted += counts
                made += 1
            fh.write(b"]}")
            chat_no += 1
        fh.write(b"]}}")
    return SyntheticExport(
        path,
        "telegram",
        handle,
        counted,
        {"message": counted},
        dict(gen.pii),
        written,
    )


def _tg_message(
    rng: random.Random, gen: _Text, mid: int, t: float, user_id: int
) -> tuple[dict[str, Any], int]:
    date = datetime.fromtimestamp(int(t), UTC)
    base = {"id": mid, "date": date.strftime("%Y-%m-%dT%H:%M:%S"), "date_unixtime": str(int(t))}
    if rng.random() < 0.03:
        return {
            **base,
            "type": "service",
            "actor": "Someone",
            "action": "pin_message",
            "text": "",
        }, 0
    mine = rng.random() < 0.5
    sender = {
        "from": "Synthetic" if mine else "Someone",
        "from_id": f"user{user_id if mine else 7}",
    }
    if rng.random() < 0.05:
        return {**base, "type": "message", **sender, "sticker_emoji": "x", "text": ""}, 0
    text: Any = gen.message(rng.randint(1, 3))
    if rng.random() < 0.2:
        word = rng.choice(gen.vocab)
        text = [
            text + " ",
            {"type": "bold", "text": word},
            " ",
            {"type": "link", "text": "x.example"},
        ]
    return {**base, "type": "message", **sender, "text": text}, 1


def generic_jsonl(
    path: str | Path,
    *,
    seed: int = 0,
    rows: int | None = None,
    size_bytes: int | None = None,
    pii_rate: float = 0.05,
) -> SyntheticExport:
    """A plain JSONL file (not zipped) with ``id``, ``text`` and ``timestamp`` fields."""
    rng = random.Random(seed)  # noqa: S311 -- reproducible test data, not secrets
    gen = _Text(rng, pii_rate)
    more = _plan(size_bytes, rows, 40)
    written = 0
    made = 0
    path = Path(path)
    with path.open("wb") as fh:
        while more(written, made):
            made += 1
            row = {
                "id": f"r{made}",
                "text": gen.message(rng.randint(1, 5)),
                "timestamp": int(gen.ts()),
            }
            data = json.dumps(row, ensure_ascii=False).encode() + b"\n"
            fh.write(data)
            written += len(data)
    return SyntheticExport(path, "generic", None, made, {"text": made}, dict(gen.pii), written)


def generators() -> dict[str, Callable[..., SyntheticExport]]:
    """Platform name -> generator (each takes ``path, *, seed, size_bytes``)."""
    return {
        "chatgpt": chatgpt_export,
        "reddit": reddit_export,
        "twitter": twitter_export,
        "telegram": telegram_export,
        "generic": generic_jsonl,
    }


def generate(
    platform: str, path: str | Path, *, seed: int = 0, size_bytes: int | None = None
) -> SyntheticExport:
    """Write a synthetic export of ``platform`` of about ``size_bytes`` (uncompressed)."""
    try:
        make = generators()[platform]
    except KeyError:
        raise ValueError(f"no synthetic generator for {platform!r}") from None
    return make(path, seed=seed, size_bytes=size_bytes)
