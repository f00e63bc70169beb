"""Importers report the account e-mail an export states (what ownership proofs are checked
against), and a damaged or hostile identity file never spoils the export."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from node.parsers.canonical import canonicalize
from node.parsers.registry import parse_export
from node.parsers.synthetic import (
    SyntheticExport,
    chatgpt_export,
    reddit_export,
    synthetic_email,
    telegram_export,
    twitter_export,
)


@pytest.mark.parametrize("make", [chatgpt_export, twitter_export, reddit_export])
def test_importers_report_the_exports_email(
    tmp_path: Path, make: Callable[..., SyntheticExport]
) -> None:
    made = make(tmp_path / "export.zip", seed=3)
    parsed = parse_export(made.path)
    assert made.email == synthetic_email(3)
    assert parsed.email == made.email
    assert parsed.account == made.account
    # …and it stays out of the canonical bytes while no proof is attached
    assert made.email.encode() not in canonicalize(parsed).data


def test_telegram_states_no_email(tmp_path: Path) -> None:
    made = telegram_export(tmp_path / "tg.zip", seed=1)
    assert parse_export(made.path).email is None


def rewrite(path: Path, member: str, data: bytes) -> Path:
    out = path.with_name("rewritten.zip")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info.filename, data if info.filename == member else src.read(info))
    return out


@pytest.mark.parametrize(
    "user",
    [
        b"[" * 100_000,
        b"not json",
        json.dumps({"id": "u", "email": 5}).encode(),
        json.dumps({"id": "u", "email": "no-at-sign"}).encode(),
        json.dumps(["u"]).encode(),
    ],
)
def test_damaged_user_json_gives_no_email_and_keeps_the_export(tmp_path: Path, user: bytes) -> None:
    made = chatgpt_export(tmp_path / "c.zip", seed=2, conversations=2)
    parsed = parse_export(rewrite(made.path, "user.json", user))
    assert parsed.email is None
    assert len(parsed.records) == made.records


def test_twitter_email_of_wrong_type_is_ignored(tmp_path: Path) -> None:
    made = twitter_export(tmp_path / "t.zip", seed=2, tweets=3)
    account = b'window.YTD.account.part0 = [{"account": {"username": "h", "email": ["x@y"]}}]'
    parsed = parse_export(rewrite(made.path, "data/account.js", account))
    assert (parsed.account, parsed.email) == ("h", None)
