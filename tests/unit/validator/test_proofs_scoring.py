"""The scoring hook: score_epoch applies the dataset's pinned proof policy after valuation, the
same way on every validator, and reports the proven share for the nutrition label."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import numpy as np
from eth_account import Account

from node.parsers.base import AttachedProof, ParsedExport
from node.parsers.base import Record as ExportRecord
from node.parsers.canonical import canonicalize
from node.proofs.devkeys import dev_export_email, dev_policy
from validator.daemon.scoring import FileInput, score_epoch
from validator.valuation.backends import LocalBackend
from validator.valuation.data import Record
from validator.valuation.spec import FeaturizerSpec, ValuationSpec
from validator.valuation.synthetic import chat_records

CPU = LocalBackend("cpu", threads=1)
SEED = bytes(range(32))
SPEC = ValuationSpec(
    model="ngram", featurizer=FeaturizerSpec(kind="bytes", order=3), n_models=32, model_chunk=16
)
T = datetime(2025, 2, 1, tzinfo=UTC)


def canonical(records: list[Record], who: str, proof_to: str | None = None) -> bytes:
    proofs = (AttachedProof("dkim", dev_export_email(proof_to, T)),) if proof_to else ()
    export = ParsedExport(
        platform="chatgpt",
        account=who,
        records=tuple(
            ExportRecord(id=f"{who}-{i}", timestamp=T, kind="message", text=r.text)
            for i, r in enumerate(records)
        ),
        email=f"{who}@example.org",
        proofs=proofs,
    )
    return canonicalize(export).data


def test_unproven_file_is_discounted_proven_one_kept_and_counted() -> None:
    rng = np.random.default_rng(3)
    val = chat_records(rng, 60)
    data = [chat_records(rng, 25) for _ in range(3)]
    who = [Account.from_key(bytes([i + 1]) * 32).address for i in range(3)]
    files = [
        FileInput(b"\x01" * 32, canonical(data[0], "ann", "ann@example.org"), contributor=who[0]),
        FileInput(b"\x02" * 32, canonical(data[1], "ben", "ann@example.org"), contributor=who[1]),
        FileInput(b"\x03" * 32, canonical(data[2], "cid"), contributor=who[2]),
    ]
    validation = canonical(val, "dao")
    plain = score_epoch(files, validation, SPEC, SEED, CPU)
    assert plain.proofs is None  # the default policy: nothing checked, nothing changed
    spec = dataclasses.replace(SPEC, proofs=dev_policy(factor_bps=5000))
    proven = score_epoch(files, validation, spec, SEED, CPU)
    before, after = plain.scores_bps, proven.scores_bps
    assert all(b > 0 for b in before), (before, plain.reasons)
    assert after[0] == before[0]
    assert after[1] == before[1] * 5000 // 10_000
    assert after[2] == before[2] * 5000 // 10_000
    assert "another address" in proven.reasons[(b"\x02" * 32).hex()]
    assert proven.proofs is not None
    assert proven.proofs["proven_files"] == 1
    assert proven.proofs["by_method"] == {"dkim": {"files": 1, "value_bps": before[0]}}
    assert score_epoch(files, validation, spec, SEED, CPU).scores_bps == after  # deterministic
