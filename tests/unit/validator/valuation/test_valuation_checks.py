"""Checks: duplicates, near duplicates, validation overlap, malformed and empty files."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from validator.valuation.checks import CheckResult, run_checks
from validator.valuation.data import Contribution, Record, parse_jsonl
from validator.valuation.spec import CheckSpec
from validator.valuation.synthetic import chat_records

CS = CheckSpec()


def _flags(results: list[CheckResult], name: str) -> tuple[str, ...]:
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


# -- contested records: the first registered holder keeps them ----------------------------------


def _copy_epoch() -> tuple[list[Contribution], list[Record]]:
    rng = np.random.default_rng(11)
    original = tuple(chat_records(rng, 30))
    other = tuple(chat_records(rng, 30))
    # A partial copier: 20 of the original's records plus 5 of its own.
    copier = original[:20] + tuple(chat_records(rng, 5))
    contribs = [
        Contribution("original", original),
        Contribution("copier", copier),
        Contribution("other", other),
    ]
    return contribs, chat_records(rng, 10)


def test_a_later_copier_loses_the_copied_records_and_the_original_keeps_them() -> None:
    contribs, val = _copy_epoch()
    res = run_checks(contribs, val, [], CS, registered=[0, 1, 2])
    original, copier, other = res
    assert original.flags == ()
    assert len(original.kept) == 30  # the victim keeps everything
    assert original.detail["epoch_duplicates"] == 0
    assert copier.detail["epoch_duplicates"] == 20
    assert len(copier.kept) == 5
    assert copier.flags
    assert copier.flags[0] == (
        "duplicate: 0 records in the pool, 20 shared with earlier submissions"
    )
    assert other.flags == ()
    assert len(other.kept) == 30


def test_registration_order_not_list_order_decides_who_keeps_a_record() -> None:
    contribs, val = _copy_epoch()
    # The copier registered first (it front-ran): now it keeps them and the original loses them.
    original, copier, _ = run_checks(contribs, val, [], CS, registered=[5, 2, 9])
    assert copier.flags == ()
    assert len(copier.kept) == 25
    assert original.detail["epoch_duplicates"] == 20
    assert len(original.kept) == 10


def test_near_copies_are_contested_too() -> None:
    contribs, val = _copy_epoch()
    tweaked = tuple(
        Record(r.text.replace("assistant:", "assistant :") + " thx") for r in contribs[0].records
    )
    contribs[1] = Contribution("copier", tweaked)
    original, copier, _ = run_checks(contribs, val, [], CS, registered=[0, 1, 2])
    assert len(original.kept) == 30
    assert copier.flags
    assert copier.flags[0].startswith("duplicate")


def test_without_an_order_or_with_everyone_loses_both_holders_lose() -> None:
    contribs, val = _copy_epoch()
    for res in (
        run_checks(contribs, val, [], CS),
        run_checks(
            contribs, val, [], dataclasses.replace(CS, contested="everyone_loses"), [0, 1, 2]
        ),
    ):
        assert res[0].detail["epoch_duplicates"] == 20
        assert res[1].detail["epoch_duplicates"] == 20


def test_a_bad_registration_order_is_refused() -> None:
    contribs, val = _copy_epoch()
    for bad in ([0, 1], [0, 0, 1], [0, 1, 2, 3]):
        with pytest.raises(ValueError, match="one distinct position"):
            run_checks(contribs, val, [], CS, registered=bad)


def test_an_unknown_contested_rule_is_refused() -> None:
    from validator.valuation.errors import SpecError
    from validator.valuation.spec import ValuationSpec

    with pytest.raises(SpecError, match="contested"):
        ValuationSpec.from_dict({"checks": {"contested": "last_registered"}})
