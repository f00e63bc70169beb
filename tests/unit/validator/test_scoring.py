"""Scoring an epoch's opened files: attacks score 0, missing files score 0 with a reason, and the
same inputs always give the same basis points."""

from __future__ import annotations

import numpy as np
import pytest

from node.parsers.base import ParsedExport
from node.parsers.base import Record as ExportRecord
from node.parsers.canonical import canonicalize
from validator.daemon.scoring import FileInput, ScoringError, score_epoch
from validator.valuation.backends import LocalBackend
from validator.valuation.data import Record
from validator.valuation.spec import FeaturizerSpec, ValuationSpec
from validator.valuation.synthetic import chat_records, shuffled_records

CPU = LocalBackend("cpu", threads=1)
SEED = bytes(range(32))
SPEC = ValuationSpec(
    model="ngram", featurizer=FeaturizerSpec(kind="bytes", order=3), n_models=32, model_chunk=16
)


def _canonical(records: list[Record], account: str) -> bytes:
    export = ParsedExport(
        platform="chatgpt",
        account=account,
        records=tuple(
            ExportRecord(
                id=f"{account}-{i}",
                timestamp=None,
                kind="message",
                text=r.text,
                author="user",
                thread=None,
            )
            for i, r in enumerate(records)
        ),
    )
    return canonicalize(export).data


def _fid(n: int) -> bytes:
    return n.to_bytes(32, "big")


@pytest.fixture(scope="module")
def epoch() -> tuple[list[FileInput], bytes]:
    rng = np.random.default_rng(7)
    val = chat_records(rng, 60)
    honest = [chat_records(rng, 25) for _ in range(4)]
    noise = shuffled_records(chat_records(rng, 25), rng)
    files = [FileInput(_fid(i + 1), _canonical(h, f"h{i}")) for i, h in enumerate(honest)]
    files.append(FileInput(_fid(10), _canonical(honest[1], "copy")))  # duplicate of file 2
    files.append(FileInput(_fid(11), _canonical(val[:25], "valcopy")))  # validation-set copy
    files.append(FileInput(_fid(12), _canonical(noise, "noise")))
    files.append(FileInput(_fid(13), failure="ciphertext failed authentication"))
    files.append(FileInput(_fid(14), b"not canonical\n"))
    return files, _canonical(val, "dao")


def test_attacks_and_failures_score_zero(epoch: tuple[list[FileInput], bytes]) -> None:
    files, val = epoch
    s = score_epoch(files, val, SPEC, SEED, CPU)
    by = dict(zip(s.file_ids, s.scores_bps, strict=True))
    assert s.file_ids == tuple(f.file_id for f in files)
    assert sum(s.scores_bps) == 10_000
    assert by[_fid(10)] == 0  # duplicate
    assert by[_fid(11)] == 0  # contamination with the validation set
    assert by[_fid(13)] == 0
    assert by[_fid(14)] == 0
    assert s.reasons[_fid(13).hex()] == "ciphertext failed authentication"
    assert "malformed" in s.reasons[_fid(14).hex()]
    assert _fid(11).hex() in s.reasons
    assert sum(by[_fid(i)] > 0 for i in (1, 3, 4)) == 3  # honest, not duplicated
    assert by[_fid(2)] > 0  # copied from, but registered first: it keeps its records


def test_deterministic(epoch: tuple[list[FileInput], bytes]) -> None:
    files, val = epoch
    a = score_epoch(files, val, SPEC, SEED, CPU)
    assert a.scores_bps == score_epoch(files, val, SPEC, SEED, CPU).scores_bps


def test_chain_order_decides_who_keeps_a_copied_record(
    epoch: tuple[list[FileInput], bytes],
) -> None:
    """The list is the chain's registration order: whoever registered first keeps the records
    two files share, whatever the file ids (which fix only the valuation's column order)."""
    files, val = epoch
    forward_s = score_epoch(files, val, SPEC, SEED, CPU)
    forward = dict(zip(forward_s.file_ids, forward_s.scores_bps, strict=True))
    backward_s = score_epoch(list(reversed(files)), val, SPEC, SEED, CPU)
    backward = dict(zip(backward_s.file_ids, backward_s.scores_bps, strict=True))
    assert forward[_fid(2)] > 0
    assert forward[_fid(10)] == 0
    assert backward[_fid(10)] > 0  # now the copy came first and keeps them
    assert backward[_fid(2)] == 0
    assert "earlier submissions" in backward_s.reasons[_fid(2).hex()]


def test_all_unavailable_scores_zero_without_engine() -> None:
    rng = np.random.default_rng(1)
    val = _canonical(chat_records(rng, 10), "dao")
    s = score_epoch([FileInput(_fid(1), failure="missing")], val, SPEC, SEED, CPU)
    assert s.scores_bps == (0,)
    assert s.result is None


def test_bad_seed_and_bad_validation_set_refused() -> None:
    val = _canonical(chat_records(np.random.default_rng(1), 10), "dao")
    with pytest.raises(ScoringError):
        score_epoch([], val, SPEC, b"short", CPU)
    with pytest.raises(ScoringError):
        score_epoch([], b"garbage\n", SPEC, SEED, CPU)


def test_file_input_needs_exactly_one_of_plaintext_or_failure() -> None:
    with pytest.raises(ValueError, match="either"):
        FileInput(_fid(1))
