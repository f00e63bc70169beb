"""The demo splits each daemon's epoch into decryption, valuation and chain time from its log."""

from __future__ import annotations

import json
from pathlib import Path

from node.demo.stages import daemon_seconds


def _log(path: Path, *records: dict[str, object]) -> Path:
    path.write_text("not json\n" + "".join(json.dumps(r) + "\n" for r in records))
    return path


def test_last_scored_line_gives_the_totals_and_chain_is_the_rest(tmp_path: Path) -> None:
    a = _log(
        tmp_path / "a.log",
        {"to": "VALUED", "seconds": {"decrypt": 1.0, "value": 1.0, "tick": 3.0}},
        {"to": "REVEALED", "seconds": {"decrypt": 2.0, "value": 4.0, "tick": 9.0}},
        {"to": "CLAIMED", "seconds": {"decrypt": 2.0, "value": 4.0, "tick": 10.0}},
    )
    b = _log(
        tmp_path / "b.log",
        {"to": "CLAIMED", "seconds": {"decrypt": 4.0, "value": 2.0, "tick": 8.0}},
    )
    missing = _log(tmp_path / "c.log", {"to": "COMMITTED", "seconds": {"tick": 99.0}})
    assert daemon_seconds([a, b, missing, tmp_path / "absent.log"]) == {
        "decrypt": 3.0,
        "value": 3.0,
        "chain": 3.0,
    }


def test_no_revealed_daemon_means_no_breakdown(tmp_path: Path) -> None:
    assert daemon_seconds([_log(tmp_path / "a.log", {"to": "FETCHED"})]) == {}
