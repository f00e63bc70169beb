"""``datadao inspect``: through the real root group, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from node.cli.exit_codes import ExitCode
from node.cli.main import cli
from node.parsers.synthetic import generate

KEYS = {"platform", "account", "records", "by_kind", "first_ts", "last_ts", "pii_removed"}


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["inspect", *args])
    return result.exit_code, result.output


def test_json_summary_is_stable_and_complete(tmp_path: Path) -> None:
    info = generate("reddit", tmp_path / "r.zip", seed=4, size_bytes=60_000)
    code, out = _run(str(info.path), "--json")
    assert code == 0, out
    summary = json.loads(out)
    assert set(summary) >= KEYS
    assert summary["platform"] == "reddit"
    assert summary["account"] == info.account
    assert summary["records"] == info.records
    assert summary["by_kind"] == info.by_kind
    assert summary["first_ts"] < summary["last_ts"]
    assert summary["first_ts"].endswith("Z")
    assert {k: v for k, v in summary["pii_removed"].items() if v} == info.pii
    assert summary["scrubbed"] is True
    assert summary["content_commitment"].startswith("0x")
    assert len(summary["content_commitment"]) == 66
    _, out2 = _run(str(info.path), "--json")
    assert out2 == out, "same export, same summary"


def test_no_scrub_keeps_pii_and_changes_the_commitment(tmp_path: Path) -> None:
    info = generate("chatgpt", tmp_path / "c.zip", seed=1, size_bytes=80_000)
    scrubbed = json.loads(_run(str(info.path), "--json")[1])
    raw = json.loads(_run(str(info.path), "--json", "--no-scrub")[1])
    assert raw["scrubbed"] is False
    assert set(raw["pii_removed"].values()) == {0}
    assert raw["content_commitment"] != scrubbed["content_commitment"]


def test_human_output_says_nothing_was_sent(tmp_path: Path) -> None:
    info = generate("twitter", tmp_path / "t.zip", seed=3)
    code, out = _run(str(info.path), "--samples", "2")
    assert code == 0, out
    assert "nothing has been sealed or sent" in out
    assert "twitter" in out
    assert info.account is not None
    assert info.account in out
    assert "sample records" in out


def test_generic_needs_explicit_platform_and_text_column(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_text('{"body": "hello [email] there"}\n{"body": "second"}\n')
    code, out = _run(str(path), "--json")
    assert code == ExitCode.INPUT
    assert "--platform generic" in out
    code, out = _run(str(path), "--platform", "generic", "--text-column", "body", "--json")
    assert code == 0, out
    assert json.loads(out)["records"] == 2
    code, out = _run(str(path), "--platform", "generic", "--samples", "2")
    assert code == ExitCode.INPUT  # the default text column "text" is missing
    assert "'text'" in out


def test_text_column_is_only_for_generic(tmp_path: Path) -> None:
    info = generate("telegram", tmp_path / "t.zip", seed=3)
    code, out = _run(str(info.path), "--text-column", "x")
    assert code == 2
    assert "--text-column" in out


def test_unknown_platform_name_is_a_clean_error(tmp_path: Path) -> None:
    info = generate("telegram", tmp_path / "t.zip", seed=3)
    code, out = _run(str(info.path), "--platform", "myspace")
    assert code == ExitCode.INPUT
    assert "unknown platform 'myspace'" in out


def test_size_cap_option(tmp_path: Path) -> None:
    info = generate("chatgpt", tmp_path / "c.zip", seed=3, size_bytes=2_500_000)
    code, out = _run(str(info.path), "--max-size-mb", "1")
    assert code == ExitCode.INPUT
    assert "limit" in out
