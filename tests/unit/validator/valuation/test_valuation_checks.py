"""Checks: duplicates, near duplicates, validation overlap, malformed and empty files."""

from __future__ import annotations

import numpy as np

from validator.valuation.checks import run_checks
from validator.valuation.data import Contribution, Record, parse_jsonl
from validator.valuation.spec import CheckSpec
from validator.valuation.synthetic import chat_records

CS = CheckSpec()


def _flags(results: list, name: str) -> tuple[str, ...]:
    return next(r.flags for r in results if r.contributor == name)


def test_chat_attacks_are_flagged(chat_task) -> None:  # type: ignore[no-untyped-def]
    contribs, val, pool, _ = chat_task
    res = run_checks(contribs, val, pool, CS)
    assert any(f.startswith("validation_overlap") for f in _flags(res, "valcopy"))
    # A copy across identities: both holders lose the shared records.
    assert any(f.startswith("duplicate") for f in _flags(res, "copycat"))
    assert any(f.startswith("duplicate") for f in _flags(res, "honest0"))
    for name in ("honest1", "honest2", "noise"):
        assert _flags(res, name) == ()


def test_near_duplicates_are_caught() -> None:
    rng = np.random.default_rng(1)
    base = chat_records(rng, 20)
    tweaked = [Record(r.text.replace("assistant:", "assistant :") + " thx") for r in base]
    res = run_checks(
        [Contribution("a", tuple(base)), Contribution("b", tuple(tweaked))],
        chat_records(rng, 5),
        [],
        CS,
    )
    assert all(r.flags and r.flags[0].startswith("duplicate") for r in res)


def test_pool_duplicates_removed_and_own_repeats_dropped() -> None:
    rng = np.random.default_rng(2)
    pool = chat_records(rng, 10)
    mine = chat_records(rng, 10)
    res = run_checks(
        [Contribution("x", tuple(mine + mine[:3] + pool[:2]))], chat_records(rng, 5), pool, CS
    )[0]
    assert res.flags == ()
    assert res.detail["self_duplicates"] == 3
    assert res.detail["pool_duplicates"] == 2
    assert len(res.kept) == 10


def test_short_common_messages_do_not_flag_honest_users() -> None:
    rng = np.random.default_rng(3)
    val = [*chat_records(rng, 5), Record("ok thanks")]
    mine = (*chat_records(rng, 30), Record("ok thanks"))
    assert run_checks([Contribution("x", mine)], val, [], CS)[0].flags == ()


def test_malformed_and_empty() -> None:
    rng = np.random.default_rng(4)
    res = run_checks(
        [Contribution("bad", (), malformed="line 2: not JSON"), Contribution("none", ())],
        chat_records(rng, 5),
        [],
        CS,
    )
    assert res[0].flags == ("malformed: line 2: not JSON",)
    assert res[1].flags == ("empty",)


def test_parse_jsonl() -> None:
    recs = parse_jsonl(b'{"text": "hi", "label": 3}\n\n{"text": "yo"}\n')
    assert recs == (Record("hi", "3"), Record("yo"))
