"""Issue #18's last three attacks: sybil splitting, word-shuffled noise, data tailored to a few
validation items. Hostile cases first (the attack is flagged or pays nothing; honest templated
text is not flagged; tiny contributors do not crash a check), then the happy paths."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools

import numpy as np
import pytest
import torch

from validator.valuation.backends import LocalBackend
from validator.valuation.blocks import blocks_of, grouped_banzhaf
from validator.valuation.checks import run_checks
from validator.valuation.concentration import item_gains, top_share
from validator.valuation.data import Contribution, Record
from validator.valuation.estimator import banzhaf
from validator.valuation.ngram import build_ngram_problem
from validator.valuation.pipeline import value_epoch
from validator.valuation.report import label_text
from validator.valuation.spec import CheckSpec, ValuationSpec
from validator.valuation.synthetic import made_up_words, prose_records, templated_records
from validator.valuation.wordorder import word_order

CPU = LocalBackend("cpu", threads=1)
SEED = hashlib.sha256(b"attack checks").digest()
CHECKS = CheckSpec(word_order_min_lift=1.2, word_order_min_chance=0.02, concentration_max=0.5)
SPEC = ValuationSpec(n_models=32, checks=CHECKS, block_chars=2000)


def _world(seed: int = 0) -> tuple[list[Contribution], list[Record], list[Record]]:
    """Four ordered prose sources, one templated source, a validation set of 80 records."""
    rng = np.random.default_rng(seed)
    vocab = made_up_words(rng, 1000 + 3 * 100 + 200)
    shared, names = vocab[:1000], vocab[1300:]
    own = [vocab[1000 + 100 * k : 1100 + 100 * k] for k in range(3)]

    def src(k: int, n: int) -> list[Record]:
        return prose_records(rng, n, shared, own[k % 3], phrase_rate=0.5)

    honest = [Contribution(f"h{k}", tuple(src(k, 30))) for k in range(3)]
    honest.append(Contribution("tmpl", tuple(templated_records(rng, 30, names[100:]))))
    val = [r for k in range(3) for r in src(k, 20)] + templated_records(rng, 20, names[:100])
    pool = [r for k in range(3) for r in src(k, 3)]
    return honest, val, pool


def _shuffled(records: list[Record], seed: int) -> list[Record]:
    rng = np.random.default_rng(seed)
    return [Record(" ".join(rng.permutation(r.text.split()))) for r in records]


def _respelled(items: list[Record], n: int, seed: int) -> list[Record]:
    """Records re-spelling a few validation items with their spaces moved (bytes kept, words
    not): what word containment cannot see."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        text = items[i % len(items)].text.replace(" ", "")
        cuts = [0, *sorted({int(c) for c in rng.integers(1, len(text), len(text) // 6)}), len(text)]
        out.append(Record(" ".join(text[a:b] for a, b in itertools.pairwise(cuts))))
    return out


# ------------------------------------------------------------------------- word order (hostile)


def test_word_shuffled_real_text_is_flagged_with_a_reason_in_words() -> None:
    honest, val, pool = _world()
    fake = Contribution("x", tuple(_shuffled(list(honest[0].records), 1)))
    res = run_checks([*honest[1:], fake], val, pool, CHECKS, registered=[0, 1, 2, 3])
    x = res[-1]
    assert x.flagged
    assert x.flags[0].startswith("word_order: ")
    assert "shuffled words, not text" in x.flags[0]
    assert 0 <= x.detail["word_order_lift_permille"] < 1200


def test_honest_templated_and_prose_sources_are_not_flagged_for_word_order() -> None:
    honest, val, pool = _world()
    res = run_checks(honest, val, pool, CHECKS, registered=list(range(len(honest))))
    assert [r.flags for r in res] == [()] * len(honest)
    assert all(r.detail["word_order_lift_permille"] > 1300 for r in res)  # all were judged


def test_tiny_or_empty_contributors_are_not_judged_and_do_not_crash() -> None:
    _, val, pool = _world()
    tiny = Contribution("tiny", (Record("hello there"),))
    one_word = Contribution("w", (Record("word"), Record("other")))
    res = run_checks([tiny, one_word], val, pool, CHECKS, registered=[0, 1])
    assert [r.flags for r in res] == [(), ()]
    assert [r.detail["word_order_lift_permille"] for r in res] == [-1, -1]
    assert word_order([]).pairs == 0
    assert word_order([""]).lift == float("inf")  # no chance level: never judged


def test_word_order_is_off_by_default_and_deterministic() -> None:
    honest, val, pool = _world()
    fake = Contribution("x", tuple(_shuffled(list(honest[0].records), 1)))
    assert not run_checks([fake], val, pool, CheckSpec())[0].flagged
    texts = [r.text for r in fake.records]
    assert word_order(texts) == word_order(list(texts))
    assert 0.8 < word_order(texts).lift < 1.2
    assert word_order([r.text for r in honest[0].records]).lift > 1.3


# ----------------------------------------------------------------------- concentration (hostile)


def test_data_tailored_to_three_validation_items_is_flagged_concentration() -> None:
    honest, val, pool = _world()
    attacker = Contribution("x", tuple(_respelled(val[:3], 30, 2)))
    res = value_epoch(SPEC, [*honest, attacker], val, pool, SEED, CPU, registered=[0, 1, 2, 3, 4])
    x = res.contributors[-1]
    assert x.bps == 0
    assert any(f.startswith("concentration: ") for f in x.flags), x.flags
    assert "data tailored to a few items" in " ".join(x.flags)
    assert [c.flags for c in res.contributors[:-1]] == [()] * 4  # templated source included
    assert sum(c.bps for c in res.contributors[:-1]) == 10_000
    assert "concentration: " in label_text(res)  # the reason, in words, on the label
    for c in res.contributors[:-1]:  # the label's detail: blocks valued, top-5 share judged
        assert c.detail["blocks"] >= 1
        assert 0 <= c.detail["concentration_top_permille"] <= 500
    assert x.detail["concentration_top_permille"] > 500


def test_concentration_with_a_tiny_contributor_does_not_crash() -> None:
    honest, val, pool = _world()
    tiny = Contribution("tiny", (Record("a b"),))
    res = value_epoch(SPEC, [*honest, tiny], val, pool, SEED, CPU, registered=[0, 1, 2, 3, 4])
    assert len(res.contributors) == 5
    assert not any(f.startswith("concentration") for c in res.contributors for f in c.flags)


def test_item_gains_add_up_to_the_gain_on_the_whole_validation_set() -> None:
    honest, val, pool = _world()
    problem = build_ngram_problem(SPEC, [list(c.records) for c in honest], val, pool)
    gains = item_gains(SPEC, problem, val, [[0], [1, 2], [3]])
    masks = np.array([[0, 0, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]], dtype=np.bool_)
    u = problem.bind(torch.device("cpu")).utilities(masks)
    np.testing.assert_allclose(gains.sum(axis=1), u[1:] - u[0], rtol=1e-9, atol=1e-12)
    shares = [top_share(g, 5) for g in gains]
    assert all(s is not None and s < 0.5 for s in shares)  # broad data: spread gains


def test_top_share() -> None:
    assert top_share(np.array([-1.0, 0.0]), 5) is None
    assert top_share(np.array([2.0, 0.0, -3.0]), 1) == 1.0
    assert top_share(np.array([1.0, 1.0, 1.0, 1.0]), 2) == pytest.approx(0.5)


# --------------------------------------------------------------------------- sybil (hostile)


def _exact_values(sizes: list[float], owners: list[int], n_owners: int) -> np.ndarray:
    """Exact Banzhaf values of owners under a concave utility of the data present (every
    subset enumerated, so no estimator noise: what is left is the game itself)."""
    masks = np.array(list(itertools.product([False, True], repeat=len(sizes))), dtype=np.bool_)
    utils = np.sqrt(1.0 + masks.astype(np.float64) @ np.asarray(sizes))
    return grouped_banzhaf(masks, utils, owners, n_owners)[1].values


def test_splitting_raises_the_splitters_share_with_one_player_per_identity() -> None:
    # the issue: B = 4 units as one player vs as two identities of 2 units each
    whole = _exact_values([4.0, 4.0, 4.0], [0, 1, 2], 3)
    split = _exact_values([4.0, 2.0, 2.0, 4.0], [0, 1, 2, 3], 4)
    share_whole = whole[1] / whole.sum()
    share_split = (split[1] + split[2]) / split.sum()
    assert share_split > 1.02 * share_whole


def test_splitting_pays_nothing_when_players_are_blocks() -> None:
    # the same data as blocks of 2 units: whole B = 2 blocks, split B = 1 block per identity
    whole = _exact_values([2.0] * 6, [0, 0, 1, 1, 2, 2], 3)
    split = _exact_values([2.0] * 6, [0, 0, 1, 2, 3, 3], 4)
    np.testing.assert_allclose(split[1] + split[2], whole[1], rtol=1e-12)
    np.testing.assert_allclose(split[[0, 3]], whole[[0, 2]], rtol=1e-12)


def test_blocks_are_content_defined_and_keep_every_record_once() -> None:
    rng = np.random.default_rng(3)
    recs = prose_records(rng, 40, made_up_words(rng, 300), made_up_words(rng, 50))
    blocks = blocks_of(recs, 1000)
    assert sorted(r.text for b in blocks for r in b) == sorted(r.text for r in recs)
    assert len(blocks) == max(1, round(sum(len(r.text) for r in recs) / 1000))
    assert all(blocks_of(list(reversed(recs)), 1000)[i] == b for i, b in enumerate(blocks))
    sizes = [sum(len(r.text) for r in b) for b in blocks]
    assert max(sizes) - min(sizes) <= max(len(r.text) for r in recs)  # balanced


def test_blocks_of_tiny_and_empty_contributors() -> None:
    assert blocks_of([], 1000) == [()]
    one = [Record("x" * 5000)]
    assert blocks_of(one, 1000) == [tuple(one)]  # never more blocks than records
    assert blocks_of(one * 3, 0) == [tuple(one * 3)]  # 0: one player per contributor


def test_grouped_banzhaf_matches_banzhaf_for_singletons_and_sums_groups() -> None:
    rng = np.random.default_rng(0)
    masks = rng.random((256, 5)) < 0.5
    utils = masks @ np.array([1.0, 2.0, -1.0, 0.5, 0.0]) + 0.1 * rng.standard_normal(256)
    _players, same = grouped_banzhaf(masks, utils, [0, 1, 2, 3, 4], 5)
    ref = banzhaf(masks, utils)
    np.testing.assert_allclose(same.values, ref.values)
    np.testing.assert_allclose(same.stderr, ref.stderr, rtol=1e-9)
    _, grouped = grouped_banzhaf(masks, utils, [0, 0, 1, 1, 2], 3)
    np.testing.assert_allclose(grouped.values[0], ref.values[0] + ref.values[1])
    assert np.all(grouped.stderr > 0)
    assert np.all(np.isfinite(grouped.stderr))


def test_block_spec_field_keeps_old_digests_and_is_validated() -> None:
    assert "block_chars" not in ValuationSpec().canonical_json()
    assert "word_order" not in ValuationSpec().canonical_json()
    assert "concentration" not in ValuationSpec().canonical_json()
    assert ValuationSpec.from_json(SPEC.canonical_json()) == SPEC
    from validator.valuation.errors import SpecError

    with pytest.raises(SpecError):
        ValuationSpec(block_chars=-1)
    with pytest.raises(SpecError):
        dataclasses.replace(SPEC, checks=dataclasses.replace(CHECKS, concentration_max=1.5))
