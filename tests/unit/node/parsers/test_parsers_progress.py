"""Parsing, scrubbing and canonicalizing report records as they go (issue #22).

A 200 MB export used to show its parse bar at 100% at once and then nothing for seconds: the
three steps now take ``on_records``, called with the running count every ``PROGRESS_EVERY``
records and once with the total.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from parsers_testing import write_zip

from node.parsers import base, canonicalize, parse_export, scrub_export
from node.parsers.errors import InvalidStructure
from node.parsers.registry import ParserRegistry
from node.parsers.synthetic import generate, generic_jsonl


def assert_incremental(calls: list[int], total: int) -> None:
    assert len(calls) >= 3, calls
    assert calls[0] < total  # reported while working, not only at the end
    assert calls == sorted(set(calls))  # strictly increasing
    assert calls[-1] == total


def test_a_multi_thousand_record_export_reports_every_step(tmp_path: Path) -> None:
    info = generic_jsonl(tmp_path / "rows.jsonl", seed=2, rows=10_000)
    parsed: list[int] = []
    export = parse_export(info.path, on_records=parsed.append)
    assert len(export.records) == 10_000
    assert_incremental(parsed, 10_000)
    assert parsed[:2] == [base.PROGRESS_EVERY, 2 * base.PROGRESS_EVERY]

    scrubbed: list[int] = []
    clean = scrub_export(export, on_records=scrubbed.append)
    assert_incremental(scrubbed, 10_000)

    written: list[int] = []
    canon = canonicalize(clean, on_records=written.append)
    assert_incremental(written, 10_000)
    assert canon == canonicalize(clean)  # reporting changes nothing


@pytest.mark.parametrize("platform", ["chatgpt", "reddit", "twitter", "telegram"])
def test_every_platform_parser_reports_as_it_parses(
    tmp_path: Path, platform: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(base, "PROGRESS_EVERY", 25)
    info = generate(platform, tmp_path / f"{platform}.zip", seed=3, size_bytes=150_000)
    calls: list[int] = []
    export = parse_export(info.path, on_records=calls.append)
    assert len(export.records) == info.records
    assert_incremental(calls, info.records)
    assert all(c % 25 == 0 for c in calls[:-1])


def test_a_plugin_without_the_keyword_still_parses(tmp_path: Path) -> None:
    registry = ParserRegistry({"echo": "parsers_testing:EchoParser"})
    path = write_zip(tmp_path / "e.zip", {"echo.txt": "one\ntwo\n"})
    calls: list[int] = []
    export = parse_export(path, registry=registry, on_records=calls.append)
    assert export.platform == "echo"
    assert calls == []  # it cannot report, and nothing breaks


def test_a_failing_parse_reports_no_total(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"text": "a"}\n{"text": 5}\n')
    calls: list[int] = []
    with pytest.raises(InvalidStructure, match="must be a string"):
        parse_export(path, on_records=calls.append)
    assert calls == []
