"""The daemon opening an epoch in batched chunks (issue #19): per-file verdicts inside a batch,
retries of one file without its chunk-mates, and scores identical to the per-file path.

The opener here is a fake :class:`~validator.daemon.driver.BatchOpener`; the real one over real
Ferveo shares is tests/unit/node/custody/test_custody_open_batch.py. Hostile batches first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
from test_daemon import (
    BOARD,
    DS,
    ME,
    CountingSalts,
    FakeChain,
    MemoryPublisher,
    run_to,
    scorer,
)
from web3 import Web3

from node.chain.registry import SubmissionRecord
from node.custody.errors import HeaderNamesAnotherContributor, NotEnoughShares
from node.errors import EnvelopeError
from node.parsers.base import ParsedExport
from node.parsers.base import Record as ExportRecord
from node.parsers.canonical import canonicalize
from node.types import Cid, ContentCommitment, DatasetId, Epoch, FileId, HeaderHash, RitualId
from validator.daemon.driver import (
    DaemonConfig,
    Deliver,
    FileDigest,
    OpenStats,
    Scorer,
    ValidatorDaemon,
)
from validator.daemon.journal import EpochRecord, Journal
from validator.daemon.scoring import EpochScores, FileInput, prepare_file, score_epoch
from validator.daemon.state import EpochState
from validator.valuation.backends import LocalBackend
from validator.valuation.spec import FeaturizerSpec, ValuationSpec
from validator.valuation.synthetic import chat_records

ALICE = Web3.to_checksum_address("0x" + "a1" * 20)
MALLORY = Web3.to_checksum_address("0x" + "ee" * 20)


def fid(i: int) -> bytes:
    return i.to_bytes(32, "big")


def rec(i: int, epoch: int = 0) -> SubmissionRecord:
    return SubmissionRecord(
        contributor=ALICE,
        dataset_id=DS,
        epoch=Epoch(epoch),
        ritual_id=RitualId(1),
        registered_at=1,
        header_hash=HeaderHash(b"\x11" * 32),
        content_commitment=ContentCommitment(b"\x22" * 32),
        cid=Cid(f"bafy{i}"),
        file_id=FileId(fid(i)),
    )


class ManyFiles(FakeChain):
    """FakeChain whose epoch 0 lists ``n`` files (commit window long enough to retry)."""

    def __init__(self, n: int, commit_len: int = 12) -> None:
        super().__init__(commit_len=commit_len)
        self.n = n

    def epoch_records(self, dataset_id: DatasetId, epoch: Epoch) -> list[SubmissionRecord]:
        return [rec(i, epoch) for i in range(1, self.n + 1)] if epoch == 0 else []


Fault = Callable[[SubmissionRecord, int], Exception | None]  # (record, attempt) -> failure


class FakeBatch:
    """A BatchOpener: each file's plaintext, or the fault ``fault`` injects on that attempt."""

    def __init__(self, plaintext: Callable[[int], bytes], fault: Fault | None = None) -> None:
        self.plaintext = plaintext
        self.fault = fault
        self.batches: list[list[int]] = []
        self.attempts: dict[int, int] = {}
        self.single_calls = 0
        self.raise_whole: BaseException | None = None
        self.skip: set[int] = set()
        self._lock = threading.Lock()

    def _one(self, record: SubmissionRecord) -> bytes | Exception:
        i = int.from_bytes(bytes(record.file_id), "big")
        with self._lock:
            n = self.attempts[i] = self.attempts.get(i, 0) + 1
        err = self.fault(record, n) if self.fault else None
        return err if err is not None else self.plaintext(i)

    def __call__(self, dataset_id: DatasetId, epoch: Epoch, record: SubmissionRecord) -> bytes:
        self.single_calls += 1
        got = self._one(record)
        if isinstance(got, Exception):
            raise got
        return got

    def open_batch(
        self,
        dataset_id: DatasetId,
        epoch: Epoch,
        records: Sequence[SubmissionRecord],
        deliver: Deliver,
    ) -> OpenStats:
        with self._lock:
            self.batches.append([int.from_bytes(bytes(r.file_id), "big") for r in records])
        if self.raise_whole is not None:
            err, self.raise_whole = self.raise_whole, None
            raise err
        for r in records:
            if int.from_bytes(bytes(r.file_id), "big") in self.skip:
                continue
            deliver(r, self._one(r))
        return OpenStats(shares_requested=4 * len(records), batches=4, gather_s=0.0)


def daemon(
    chain: FakeChain,
    root: Path,
    opener: object,
    *,
    chunk: int = 4,
    workers: int = 2,
    score: Scorer = scorer,
    digest: FileDigest | None = None,
) -> ValidatorDaemon:
    return ValidatorDaemon(
        DaemonConfig(
            chain_id=1,
            score_board=BOARD,
            dataset_id=DS,
            validator=ME,
            open_chunk=chunk,
            open_workers=workers,
        ),
        chain,
        Journal(root),
        opener,  # type: ignore[arg-type]
        lambda ds, ep: b"validation set",
        score,
        CountingSalts(),
        publish=MemoryPublisher(),
        digest=digest,
    )


def journaled(root: Path) -> EpochRecord:
    got = Journal(root).load(1, 0)
    assert got is not None
    return got


def text(i: int) -> bytes:
    return b"plaintext of file %d" % i


# ------------------------------------------------------------------------- hostile batches


def test_a_copied_header_in_a_batch_zeroes_that_file_only(tmp_path: Path) -> None:
    def fault(r: SubmissionRecord, n: int) -> Exception | None:
        if bytes(r.file_id) == fid(3):
            return HeaderNamesAnotherContributor(r.name, MALLORY, str(r.contributor))
        return None

    chain, opener = ManyFiles(6), FakeBatch(text, fault)
    d = daemon(chain, tmp_path, opener)
    run_to(d, chain, 13)
    r = journaled(tmp_path)
    assert r.state is EpochState.COMMITTED
    assert r.units[2] == 0
    assert all(u > 0 for k, u in enumerate(r.units) if k != 2)
    assert "header names another contributor" in r.reasons[fid(3).hex()]
    assert d.stats.files_zeroed == {"invalid": 1}
    assert opener.attempts[3] == 1  # a fact about the bytes: judged at once, never retried
    assert opener.single_calls == 0  # the batch path, not one request per file


def test_a_body_that_does_not_authenticate_is_invalid_and_its_chunk_mates_open(
    tmp_path: Path,
) -> None:
    def fault(r: SubmissionRecord, n: int) -> Exception | None:
        return EnvelopeError("tag mismatch") if bytes(r.file_id) == fid(2) else None

    chain, opener = ManyFiles(4), FakeBatch(text, fault)
    d = daemon(chain, tmp_path, opener)
    run_to(d, chain, 13)
    r = journaled(tmp_path)
    assert r.reasons[fid(2).hex()].startswith("invalid: EnvelopeError")
    assert [u > 0 for u in r.units] == [True, False, True, True]
    assert d.stats.files_opened == 3


def test_a_transient_refusal_of_one_file_retries_that_file_alone(tmp_path: Path) -> None:
    def fault(r: SubmissionRecord, n: int) -> Exception | None:
        if bytes(r.file_id) == fid(5) and n == 1:  # a lagging peer: not_committee, once
            return NotEnoughShares(
                file_id=fid(5).hex(),
                threshold=3,
                valid=0,
                unreachable={},
                refused={"v": "not_committee: lag"},
                bad=[],
            )
        return None

    chain, opener = ManyFiles(8), FakeBatch(text, fault)
    d = daemon(chain, tmp_path, opener, chunk=3)
    run_to(d, chain, 12)  # the first attempt: before the deadline (10 + 12 // 2 = 16)
    assert journaled(tmp_path).state is EpochState.ASSIGNED  # waits: never a committed 0
    assert d.stats.file_retries == 1
    assert d.stats.files_zeroed == {}
    run_to(d, chain, 16)
    r = journaled(tmp_path)
    assert r.state is EpochState.COMMITTED
    assert all(u > 0 for u in r.units)  # the refused file was valued after all
    assert opener.batches[-1] == [5]  # the retry asked for that file only
    assert all(n == 1 for i, n in opener.attempts.items() if i != 5)


def test_a_file_still_refused_at_the_deadline_is_unavailable(tmp_path: Path) -> None:
    def fault(r: SubmissionRecord, n: int) -> Exception | None:
        if bytes(r.file_id) == fid(1):
            return NotEnoughShares(
                file_id=fid(1).hex(),
                threshold=3,
                valid=0,
                unreachable={"v": "timeout"},
                refused={},
                bad=[],
            )
        return None

    chain, opener = ManyFiles(5), FakeBatch(text, fault)
    d = daemon(chain, tmp_path, opener)
    run_to(d, chain, 19)
    r = journaled(tmp_path)
    assert r.state is EpochState.COMMITTED
    assert r.reasons[fid(1).hex()].startswith("unavailable by block 16: NotEnoughShares")
    assert r.units[0] == 0
    assert all(u > 0 for u in r.units[1:])
    assert d.stats.files_zeroed == {"unavailable": 1}


def test_a_batch_that_fails_whole_is_retried_and_zeroes_nobody(tmp_path: Path) -> None:
    chain, opener = ManyFiles(6), FakeBatch(text)
    opener.raise_whole = TimeoutError("the store hung")  # outside the error tree: a bug/outage
    d = daemon(chain, tmp_path, opener, chunk=3, workers=1)
    run_to(d, chain, 12)
    assert d.stats.file_retries == 3
    assert d.stats.unexpected == 3  # its three files, logged
    assert d.stats.files_zeroed == {}
    run_to(d, chain, 14)
    r = journaled(tmp_path)
    assert r.state is EpochState.COMMITTED
    assert all(u > 0 for u in r.units)


def test_a_file_the_opener_never_delivers_is_not_judged_absent(tmp_path: Path) -> None:
    chain, opener = ManyFiles(3), FakeBatch(text)
    opener.skip = {2}
    d = daemon(chain, tmp_path, opener)
    run_to(d, chain, 12)
    assert journaled(tmp_path).state is EpochState.ASSIGNED
    assert d.stats.file_retries == 1
    assert d.stats.files_zeroed == {}
    opener.skip = set()
    run_to(d, chain, 14)
    assert all(u > 0 for u in journaled(tmp_path).units)


def test_chunk_and_worker_bounds_are_checked() -> None:
    with pytest.raises(ValueError, match="open_chunk"):
        DaemonConfig(1, BOARD, DS, ME, open_chunk=257)
    with pytest.raises(ValueError, match="open_workers"):
        DaemonConfig(1, BOARD, DS, ME, open_workers=0)


# ------------------------------------------------------------------------- then the honest


def test_the_epoch_is_opened_in_chunks_with_every_file_once(tmp_path: Path) -> None:
    chain, opener = ManyFiles(10), FakeBatch(text)
    d = daemon(chain, tmp_path, opener, chunk=4, workers=3)
    run_to(d, chain, 13)
    assert sorted(len(b) for b in opener.batches) == [2, 4, 4]
    assert sorted(i for b in opener.batches for i in b) == list(range(1, 11))
    assert d.stats.files_opened == 10
    assert d.stats.share_batches == 3 * 4
    assert d.stats.shares_requested == 4 * 10
    assert {"decrypt", "gather", "parse", "list"} <= set(d.stats.seconds)
    assert journaled(tmp_path).state is EpochState.COMMITTED


SPEC = ValuationSpec(
    model="ngram", featurizer=FeaturizerSpec(kind="bytes", order=2), n_models=8, model_chunk=8
)


def canonical(i: int, n: int = 12, rng: np.random.Generator | None = None) -> bytes:
    rng = rng if rng is not None else np.random.default_rng(100 + i)
    return canonicalize(
        ParsedExport(
            platform="chatgpt",
            account=f"acct{i}",
            records=tuple(
                ExportRecord(
                    id=f"{i}-{k}",
                    timestamp=None,
                    kind="message",
                    text=r.text,
                    author="user",
                    thread=None,
                )
                for k, r in enumerate(chat_records(rng, n))
            ),
        )
    ).data


def real_scorer(validation: bytes) -> Scorer:
    def score(files: Sequence[FileInput], _v: bytes, seed: bytes) -> EpochScores:
        return score_epoch(files, validation, SPEC, seed, LocalBackend("cpu", threads=1))

    return score


def test_batched_and_parsed_scores_equal_the_per_file_plaintext_path(tmp_path: Path) -> None:
    n = 12
    rng = np.random.default_rng(5)  # one stream: the files share a distribution, as in an epoch
    bodies = {i: canonical(i, rng=rng) for i in range(1, n + 1)}
    bodies[7] = b"not canonical at all\n"  # one malformed file
    validation = canonical(999, 30, rng)

    def body(i: int) -> bytes:
        return bodies[i]

    def per_file(ds: DatasetId, epoch: Epoch, r: SubmissionRecord) -> bytes:
        return body(int.from_bytes(bytes(r.file_id), "big"))

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    chain_a, chain_b = ManyFiles(n), ManyFiles(n)
    one_by_one = daemon(
        chain_a, tmp_path / "a", per_file, chunk=1, workers=1, score=real_scorer(validation)
    )
    batched = daemon(
        chain_b,
        tmp_path / "b",
        FakeBatch(body),
        chunk=5,
        workers=3,
        score=real_scorer(validation),
        digest=lambda f: prepare_file(f, SPEC),
    )
    run_to(one_by_one, chain_a, 13)
    run_to(batched, chain_b, 13)
    a, b = journaled(tmp_path / "a"), journaled(tmp_path / "b")
    assert a.state is b.state is EpochState.COMMITTED
    assert a.units == b.units
    assert a.root == b.root
    assert a.reasons == b.reasons
    assert a.units[6] == 0
    assert "not canonical" in a.reasons[fid(7).hex()]
    # every other file reached the engine (valued, whatever its sign): the comparison is real
    valued = [k for k in range(1, n + 1) if k != 7]
    assert all(
        a.reasons.get(fid(k).hex(), "no positive value").startswith("no positive value")
        for k in valued
    )


def test_prepared_inputs_hold_records_not_bytes() -> None:
    f = prepare_file(FileInput(fid(1), canonical(1), contributor=ALICE), SPEC)
    assert f.plaintext is None
    assert f.contribution is not None
    assert f.readable
    assert len(f.contribution.records) > 0
    assert f.contribution.contributor == fid(1).hex()
    bad = prepare_file(FileInput(fid(2), b"\xff\xfe", contributor=ALICE), SPEC)
    assert bad.contribution is not None
    assert bad.contribution.malformed
    gone = FileInput(fid(3), failure="unavailable")
    assert prepare_file(gone, SPEC) is gone
