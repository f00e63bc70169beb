"""Protocol v2 units from score_epoch: the engine's integers, the proof policy's factor and the
dataset's minimum score, turned into nano units that sum to exactly 10**9."""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
from eth_account import Account

from node.proofs.devkeys import dev_policy
from node.protocol.scorevector import UNITS, to_units
from node.types import Epoch, FileId
from tests.unit.validator.test_proofs_scoring import CPU, SEED, SPEC, canonical
from validator.daemon.launch import _labels
from validator.daemon.scoring import EpochScores, FileInput, score_epoch
from validator.valuation.synthetic import chat_records

IDS = [FileId(bytes([i]) * 32) for i in (1, 2, 3)]


def _files() -> tuple[list[FileInput], bytes]:
    rng = np.random.default_rng(3)
    val = chat_records(rng, 60)
    data = [chat_records(rng, 25) for _ in range(3)]
    who = [Account.from_key(bytes([i + 1]) * 32).address for i in range(3)]
    files = [
        FileInput(IDS[0], canonical(data[0], "ann", "ann@example.org"), contributor=who[0]),
        FileInput(IDS[1], canonical(data[1], "ben", "ann@example.org"), contributor=who[1]),
        FileInput(IDS[2], canonical(data[2], "cid"), contributor=who[2]),
    ]
    return files, canonical(val, "dao")


def _quanta(scores: EpochScores) -> list[int]:
    result = scores.result
    assert result is not None
    return [c.quanta for c in sorted(result.contributors, key=lambda c: c.contributor)]


def test_units_are_the_engines_integers_to_units() -> None:
    files, validation = _files()
    scores = score_epoch(files, validation, SPEC, SEED, CPU)
    q = _quanta(scores)
    assert all(v > 0 for v in q), q
    assert sum(scores.units) == UNITS
    expected = to_units({f: Fraction(v) for f, v in zip(IDS, q, strict=True)})
    assert scores.units == tuple(expected[f] for f in IDS)


def test_the_proof_policy_factor_applies_to_the_exact_share() -> None:
    files, validation = _files()
    spec = dataclasses.replace(SPEC, proofs=dev_policy(factor_bps=5000))
    scores = score_epoch(files, validation, spec, SEED, CPU)
    q = _quanta(scores)
    shares = [Fraction(q[0]), Fraction(q[1], 2), Fraction(q[2], 2)]  # only ann is proven
    expected = to_units(dict(zip(IDS, shares, strict=True)))
    assert scores.units == tuple(expected[f] for f in IDS)
    zero = dataclasses.replace(SPEC, proofs=dev_policy(unproven="zero"))
    only_proven = score_epoch(files, validation, zero, SEED, CPU)
    assert only_proven.units == (UNITS, 0, 0)


def test_files_below_the_minimum_score_get_zero_and_the_rest_share_the_pool() -> None:
    files, validation = _files()
    plain = score_epoch(files, validation, SPEC, SEED, CPU)
    lowest = min(range(3), key=lambda i: plain.scores_bps[i])
    minimum = plain.scores_bps[lowest] + 1
    scores = score_epoch(files, validation, SPEC, SEED, CPU, min_score_bps=minimum)
    assert scores.units[lowest] == 0
    assert sum(scores.units) == UNITS
    assert "minimum score" in scores.reasons[IDS[lowest].hex()]
    q = _quanta(plain)
    kept = {f: Fraction(q[i]) for i, f in enumerate(IDS) if i != lowest}
    expected = to_units(kept)
    assert all(scores.units[i] == expected[f] for i, f in enumerate(IDS) if i != lowest)
    everyone_out = score_epoch(files, validation, SPEC, SEED, CPU, min_score_bps=10_001)
    assert everyone_out.units == (0, 0, 0)


def test_unavailable_files_get_zero_units() -> None:
    files, validation = _files()
    files[2] = FileInput(IDS[2], failure="unavailable by block 12", contributor=None)
    scores = score_epoch(files, validation, SPEC, SEED, CPU)
    assert scores.units[2] == 0
    assert sum(scores.units) == UNITS


def test_the_label_carries_the_proof_counts_and_units(tmp_path: Path) -> None:
    files, validation = _files()
    spec = dataclasses.replace(SPEC, proofs=dev_policy(factor_bps=5000))
    scores = score_epoch(files, validation, spec, SEED, CPU)
    _labels(tmp_path)(Epoch(4), scores)
    report = json.loads((tmp_path / "epoch-4" / "report.json").read_text())
    assert report["proofs"] == scores.proofs
    assert report["proofs"]["proven_files"] == 1
    units = report["score_vector"]["units"]
    assert units == {f.hex(): u for f, u in zip(IDS, scores.units, strict=True)}
