"""Word-containment checks (issue #18): paraphrased validation text is flagged at every edit rate
the bench uses, honest same-domain and templated text is not."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from validator.valuation.checks import run_checks
from validator.valuation.containment import ContainmentIndex, words
from validator.valuation.data import Contribution, Record
from validator.valuation.spec import CheckSpec
from validator.valuation.synthetic import (
    made_up_words,
    paraphrase,
    prose_records,
    shuffle_sentences,
    templated_records,
)

CS = CheckSpec()


def _domain(seed: int) -> tuple[list[Contribution], list[Record], list[Record], list[str]]:
    """Four prose sources and a templated one; validation from three prose sources + template."""
    rng = np.random.default_rng(seed)
    vocab = made_up_words(rng, 1500 + 4 * 150 + 300, syllables=3)
    shared, names = vocab[:1500], vocab[2100:]
    own = [vocab[1500 + 150 * k : 1650 + 150 * k] for k in range(4)]
    honest = [
        Contribution(f"h{k}", tuple(prose_records(rng, 30, shared, own[k]))) for k in range(4)
    ]
    honest.append(Contribution("tmpl", tuple(templated_records(rng, 30, names[150:]))))
    val = [r for k in range(3) for r in prose_records(rng, 20, shared, own[k])]
    val += templated_records(rng, 20, names[:150])
    return honest, val, [], shared


def _flags(contribs: list[Contribution], val: list[Record]) -> dict[str, tuple[str, ...]]:
    res = run_checks(contribs, val, [], CS, registered=list(range(len(contribs))))
    return {r.contributor: r.flags for r in res}


@pytest.mark.parametrize("rate", [0.1, 0.2, 0.25, 0.4, 0.6])
def test_paraphrased_validation_text_is_flagged(rate: float) -> None:
    honest, val, _, shared = _domain(1)
    attack = paraphrase(val, np.random.default_rng(5), rate, shared)
    flags = _flags([*honest, Contribution("x", tuple(attack))], val)
    assert any(f.startswith("validation_overlap") for f in flags["x"])
    assert all(flags[c.contributor] == () for c in honest)


def test_shuffled_and_halved_validation_records_are_flagged() -> None:
    honest, val, _, _ = _domain(2)
    shuffled = shuffle_sentences(val, np.random.default_rng(3))
    halves = [Record(" ".join(v.text.split()[: len(v.text.split()) // 2])) for v in val]
    for attack in (shuffled, halves):
        flags = _flags([*honest, Contribution("x", tuple(attack))], val)
        assert flags["x"]
        assert flags["x"][0].startswith("validation_overlap")


def test_a_few_copied_records_among_honest_ones_are_removed() -> None:
    honest, val, _, _ = _domain(3)
    mixed = (*honest[0].records, *val[:4])
    res = run_checks([Contribution("x", mixed)], val, [], CS)[0]
    assert res.detail["validation_overlap"] >= 4
    assert not set(val[:4]) & set(res.kept)


@pytest.mark.parametrize("seed", range(4))
def test_honest_same_domain_and_templated_text_is_not_flagged(seed: int) -> None:
    honest, val, _, _ = _domain(10 + seed)
    res = run_checks(honest, val, [], CS, registered=list(range(len(honest))))
    assert all(r.flags == () for r in res)
    # and records are kept, not silently removed
    assert all(r.detail["validation_overlap"] <= 1 for r in res)


def test_minhash_would_flag_the_templated_source() -> None:
    # The failure this replaces: whole-record similarity calls honest templated text a copy.
    honest, val, _, _ = _domain(4)
    old = dataclasses.replace(CS, containment_margin=None)
    res = run_checks(honest, val, [], old)
    assert any(f.startswith("validation_overlap") for f in res[-1].flags)


def test_small_reference_sets_fall_back_to_minhash() -> None:
    # Five records give no word statistics: containment is off and MinHash decides.
    honest, val, _, shared = _domain(5)
    small = val[:5]
    attack = paraphrase(small, np.random.default_rng(1), 0.4, shared)
    res = run_checks([honest[0], Contribution("x", tuple(attack))], small, [], CS)
    assert res[0].flags == ()
    assert res[1].detail["validation_margin_permille"] == 0


def test_scores_are_deterministic_and_bounded() -> None:
    _, val, _, _ = _domain(6)
    idx = ContainmentIndex([r.text for r in val], [r.text for r in val])
    for r in val[:10]:
        best, second = idx.scores(r.text)
        assert best == pytest.approx(1.0)
        assert 0.0 <= second <= best
        assert idx.scores(r.text) == (best, second)
    assert idx.scores("") == (0.0, 0.0)
    assert idx.scores("!!! ???") == (0.0, 0.0)


def test_hostile_text_does_not_crash() -> None:
    _, val, _, _ = _domain(7)
    idx = ContainmentIndex([r.text for r in val], [r.text for r in val])
    huge = " ".join(["word"] * 100_000)
    for text in (huge, "\u0000" * 50, "é" * 1000, "a\nb\tc " * 500):
        best, second = idx.scores(text)
        assert 0.0 <= second <= best <= 1.0
    assert words("Hello, WORLD! 42") == ["hello", "world", "42"]


@pytest.mark.parametrize("rate", [0.1, 0.3])
def test_a_paraphrased_copy_of_an_earlier_contributor_is_contested(rate: float) -> None:
    honest, val, _, shared = _domain(8)
    copy = paraphrase(list(honest[0].records), np.random.default_rng(2), rate, shared)
    contribs = [*honest, Contribution("x", tuple(copy))]
    res = run_checks(contribs, val, [], CS, registered=list(range(len(contribs))))
    assert res[-1].flags
    assert res[-1].flags[0].startswith("duplicate")
    assert res[0].flags == ()
    assert len(res[0].kept) == len(honest[0].records)  # the original keeps every record


def test_honest_sources_of_one_domain_do_not_contest_each_other() -> None:
    honest, val, _, _ = _domain(9)
    res = run_checks(honest, val, [], CS, registered=list(range(len(honest))))
    assert [r.detail["epoch_duplicates"] for r in res] == [0] * len(honest)
