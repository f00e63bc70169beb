"""``contribute`` shows parsing, scrubbing and canonical writing advancing by records (issue #22:
nothing moved for seconds on a large export between "read" and "seal")."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from sqlmodel import Session

from node.cli.contribute import _Bars
from node.db.engine import open_database
from node.parsers.base import PROGRESS_EVERY
from node.pipeline import ContributionPipeline
from node.pipeline import Progress as PipelineProgress
from node.storage.memory import MemoryBlobStore

RECORDS = 2 * PROGRESS_EVERY + 5  # two intermediate reports, then the total


class _StopAfterParsing(Exception):
    pass


class _ChainNotNeeded:
    """The gateway as far as parsing needs it: the deployment's identity, then nothing."""

    chain_id = 31337
    registry = "0x" + "22" * 20
    dataset_id = 1
    contributor = "0x" + "33" * 20  # v2: local rows are looked up per contributor

    def __getattr__(self, name: str) -> Any:
        raise _StopAfterParsing(name)


def _events(tmp_path: Path) -> list[PipelineProgress]:
    export = tmp_path / "notes.jsonl"
    export.write_text(
        "".join(json.dumps({"text": f"note {i} mail me at a{i}@example.org"}) + "\n"
                for i in range(RECORDS))
    )  # fmt: skip
    engine = open_database(f"sqlite:///{tmp_path / 'node.sqlite'}")
    events: list[PipelineProgress] = []
    pipeline = ContributionPipeline(
        sessions=lambda: Session(engine, expire_on_commit=False),
        store=MemoryBlobStore(),
        gateway=_ChainNotNeeded(),  # type: ignore[arg-type]
        sealed_dir=tmp_path / "sealed",
    )
    try:
        with pytest.raises(_StopAfterParsing):
            pipeline.run(export, platform="generic", progress=events.append)
    finally:
        engine.dispose()
    return events


def test_the_pipeline_reports_records_for_parse_scrub_and_canonical(tmp_path: Path) -> None:
    events = _events(tmp_path)
    by_step: dict[str, list[PipelineProgress]] = {}
    for e in events:
        by_step.setdefault(e.step, []).append(e)
    parsed = by_step["parse-records"]
    assert [e.done for e in parsed[:2]] == [PROGRESS_EVERY, 2 * PROGRESS_EVERY]
    assert all(e.total is None for e in parsed[:-1]), "the total is unknown while parsing"
    assert (parsed[-1].done, parsed[-1].total) == (RECORDS, RECORDS)
    for step in ("scrub", "canonicalize"):
        assert [e.done for e in by_step[step]] == [PROGRESS_EVERY, 2 * PROGRESS_EVERY, RECORDS]
        assert {e.total for e in by_step[step]} == {RECORDS}
    order = [e.step for e in events]
    assert order.index("parse-records") < order.index("scrub") < order.index("canonicalize")


def test_the_bars_show_records(tmp_path: Path) -> None:
    out = io.StringIO()
    bars = _Bars(Console(file=out, width=160, force_terminal=False))
    with bars:
        for e in _events(tmp_path):
            bars(e)
    shown = out.getvalue()
    for label in ("read", "parse", "scrub", "canonical"):
        assert label in shown
    assert f"{RECORDS:,}/{RECORDS:,} records" in shown
    assert "B" in shown  # the read bar still counts bytes
