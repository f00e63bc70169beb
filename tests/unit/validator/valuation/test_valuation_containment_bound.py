"""The containment check's candidate bound (issue #19): an epoch of 10,000 files whose records
share words must not make the cross-contributor paraphrase check quadratic, and the bound may
only clear a record the full comparison would flag, never flag one it would clear."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from validator.valuation.checks import run_checks
from validator.valuation.containment import ContainmentIndex
from validator.valuation.data import Contribution, Record
from validator.valuation.errors import SpecError
from validator.valuation.spec import CheckSpec, ValuationSpec
from validator.valuation.synthetic import made_up_words, paraphrase, prose_records

LIMIT = CheckSpec().containment_margin or 0.25


def _collection(seed: int, n: int = 300) -> tuple[list[str], list[str], list[int]]:
    """Prose from a few sources plus paraphrases of some of them: references, trusted, owners."""
    rng = np.random.default_rng(seed)
    vocab = made_up_words(rng, 1200, syllables=3)
    shared, own = vocab[:800], [vocab[800 + 100 * k : 900 + 100 * k] for k in range(4)]
    trusted = [r.text for r in prose_records(rng, 80, shared, own[0])]
    recs: list[str] = []
    owners: list[int] = []
    for k in range(4):
        src = prose_records(rng, n // 8, shared, own[k])
        recs += [r.text for r in src]
        owners += [k] * len(src)
        copied = paraphrase(src, rng, 0.1 + 0.1 * k, shared)
        recs += [r.text for r in copied]
        owners += [4 + k] * len(copied)
    return recs, trusted, owners


def test_a_bound_that_covers_every_posting_changes_nothing() -> None:
    recs, trusted, owners = _collection(1)
    full = ContainmentIndex(recs, trusted, owners=owners)
    roomy = ContainmentIndex(recs, trusted, owners=owners, candidates=10 * len(recs) * 40)
    for j, text in enumerate(recs):
        assert roomy.match(text, owners[j]) == full.match(text, owners[j])


@pytest.mark.parametrize("budget", [1, 8, 64, 256])
def test_the_bound_never_raises_a_margin_nor_changes_who_is_matched(budget: int) -> None:
    # The attacker's hope: a pruned search that misses the real second-best match calls an
    # honest record a copy. The bound stands in for every record left out, so it cannot.
    recs, trusted, owners = _collection(2)
    full = ContainmentIndex(recs, trusted, owners=owners)
    pruned = ContainmentIndex(recs, trusted, owners=owners, candidates=budget)
    flagged = 0
    for j, text in enumerate(recs):
        b0, s0, o0 = full.match(text, owners[j])
        b1, s1, o1 = pruned.match(text, owners[j])
        assert b1 - s1 <= b0 - s0 + 1e-12
        if b1 - s1 >= LIMIT:
            flagged += 1
            assert o1 == o0
            assert b1 == b0
    if budget >= 64:
        assert flagged > 0  # the bound still finds copies, or this test proves nothing


def test_a_rare_word_shared_with_one_record_is_not_a_copy_under_the_bound() -> None:
    # The query's two rare words are held by one other record, its six common words by
    # hundreds: only the rare-word record is compared. Alone, it would look like the query's
    # source (margin 0.625); but records left out could share the common words, and many do
    # (the full comparison finds several at 0.75), so the bound clears the query as the full
    # comparison does.
    common = [f"w{i}" for i in range(12)]
    rng = np.random.default_rng(3)
    recs = [" ".join(rng.choice(common, 8, replace=False)) for _ in range(400)]
    recs.append("zyxw qorp " + " ".join(common[:3]))
    query = "zyxw qorp " + " ".join(common[:6])
    trusted = [f"unrelated trusted text number {i}" for i in range(60)]
    owners = list(range(len(recs)))
    full = ContainmentIndex(recs, trusted, owners=owners)
    pruned = ContainmentIndex(recs, trusted, owners=owners, candidates=16)
    b0, s0, _ = full.match(query)
    b1, s1, o1 = pruned.match(query)
    assert b0 - s0 < LIMIT
    assert b1 == pytest.approx(5 / 8)  # only the rare-word record was compared
    assert o1 == len(recs) - 1
    assert s1 >= 6 / 8 - 1e-12
    assert b1 - s1 < LIMIT


def test_work_per_record_is_bounded_by_the_candidates() -> None:
    # Spam made of a handful of words: every record shares words with every other. Without a
    # bound each record is scored against the whole collection; with one, against at most
    # ``candidates`` records.
    rng = np.random.default_rng(4)
    vocab = [f"s{i}" for i in range(30)]
    recs = [" ".join(rng.choice(vocab, 12)) for _ in range(1500)]
    trusted = [f"trusted record {i} about something else" for i in range(60)]
    owners = list(range(len(recs)))
    bounded = ContainmentIndex(recs, trusted, owners=owners, candidates=32)
    unbounded = ContainmentIndex(recs, trusted, owners=owners)
    for j in range(0, len(recs), 50):
        before = bounded.compared, unbounded.compared
        bounded.match(recs[j], owners[j])
        unbounded.match(recs[j], owners[j])
        assert bounded.compared - before[0] <= 32
        assert unbounded.compared - before[1] > 1000  # the unbounded search scores most records


def test_a_paraphrase_of_a_specific_record_is_still_caught_in_a_crowded_epoch() -> None:
    # 500 spam contributors of common words make every word's posting list long; the copier
    # paraphrases an honest source whose own words are rare in the epoch, and is still caught.
    rng = np.random.default_rng(5)
    vocab = made_up_words(rng, 1300, syllables=3)
    shared, own = vocab[:1000], vocab[1000:1150]
    val = prose_records(rng, 80, shared, vocab[1150:1300])
    honest = Contribution("h", tuple(prose_records(rng, 30, shared, own)))
    spam = [
        Contribution(
            f"s{i}", tuple(Record(" ".join(rng.choice(shared[:40], 14))) for _ in range(4))
        )
        for i in range(500)
    ]
    copy = Contribution("x", tuple(paraphrase(list(honest.records), rng, 0.2, shared)))
    cs = dataclasses.replace(CheckSpec(), containment_candidates=256)
    contribs = [honest, *spam, copy]
    res = run_checks(contribs, val, [], cs, registered=list(range(len(contribs))))
    assert res[-1].flags
    assert res[-1].flags[0].startswith("duplicate")
    assert res[0].flags == ()
    assert len(res[0].kept) == len(honest.records)


def test_the_spec_refuses_a_bound_below_one() -> None:
    with pytest.raises(SpecError):
        ValuationSpec(checks=CheckSpec(containment_candidates=0))
    with pytest.raises(ValueError, match="candidates"):
        ContainmentIndex(["a b c"], ["a b c"], candidates=0)
