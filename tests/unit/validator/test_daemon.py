"""The daemon's ticks against a fake chain: the happy path, crashes at every dangerous point,
and the refusals (disagreeing journal, closed windows, not on the committee)."""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
from eth_typing import ChecksumAddress
from fastapi.testclient import TestClient
from web3 import Web3

from node.chain.dataset_config import EpochWindows
from node.chain.registry import SubmissionRecord
from node.chain.scoreboard import EpochStatus
from node.custody.errors import FileHeaderMismatch, NotEnoughShares
from node.errors import ChainError, EnvelopeError, StorageError
from node.parsers.base import ParsedExport
from node.parsers.base import Record as ExportRecord
from node.parsers.canonical import canonicalize
from node.protocol.scorevector import UNITS, ScoreVector, to_units
from node.storage.errors import MalformedBlock
from node.types import Bps, Cid, ContentCommitment, DatasetId, Epoch, FileId, HeaderHash, RitualId
from validator.daemon.availability import FileNotInEpoch
from validator.daemon.commitment import ScoreCommitment
from validator.daemon.driver import (
    MAX_BACKOFF_TICKS,
    SEED_URGENT_BLOCKS,
    DaemonConfig,
    FileOpener,
    Scorer,
    ValidatorDaemon,
    seed_delay_for,
)
from validator.daemon.journal import EpochRecord, Journal
from validator.daemon.logs import JsonLogFormatter
from validator.daemon.metrics import create_metrics_app
from validator.daemon.scoring import EpochScores, FileInput, score_epoch
from validator.daemon.state import EpochState
from validator.valuation.backends import LocalBackend
from validator.valuation.spec import FeaturizerSpec, ValuationSpec
from validator.valuation.synthetic import chat_records

DS = DatasetId(1)
ME = Web3.to_checksum_address("0x" + "aa" * 20)
BOARD = Web3.to_checksum_address("0x" + "bb" * 20)
ZERO = b"\x00" * 32
FILES = [bytes([i]) * 32 for i in (1, 2, 3)]
ALICE = Web3.to_checksum_address("0x" + "a1" * 20)


def record_of(file_id: bytes, epoch: int = 0, contributor: str = ALICE) -> SubmissionRecord:
    """The file's registry record as its SubmissionRegistered log gives it."""
    return SubmissionRecord(
        contributor=Web3.to_checksum_address(contributor),
        dataset_id=DS,
        epoch=Epoch(epoch),
        ritual_id=RitualId(1),
        registered_at=10 * epoch + 1,
        header_hash=HeaderHash(b"\x11" * 32),
        content_commitment=ContentCommitment(b"\x22" * 32),
        cid=Cid("bafy" + file_id.hex()[:8]),
        file_id=FileId(file_id),
    )


class MemoryPublisher:
    """The blob store's ``add``: content-addressed by sha256 here (only determinism matters)."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.fail = False

    def __call__(self, data: bytes) -> str:
        if self.fail:
            raise StorageError("kubo is down")
        cid = "cid-" + hashlib.sha256(data).hexdigest()
        self.blobs[cid] = data
        return cid


class Crash(BaseException):
    """The process dying: not an error the daemon may catch."""


class FakeChain:
    """Epoch e: submit [10e, 10e+10), commit [10e+10, 10e+10+commit_len) (5 blocks unless told),
    reveal for 5 more blocks, then final."""

    def __init__(self, commit_len: int = 5) -> None:
        self.commit_len = commit_len
        self.block = 0
        self.seeds: dict[int, bytes] = {}
        self.committee_members = [ME]
        self.commitments: dict[int, bytes] = {}
        self.reveals: dict[int, tuple[bytes, int, str, bytes]] = {}  # root, total, cid, salt
        self.finalized: set[int] = set()
        self.claimed: set[int] = set()
        self.commit_calls = 0
        self.crash_on_commit = False

    def windows(self, dataset_id: DatasetId, epoch: Epoch) -> EpochWindows:
        b = 10 * epoch
        return EpochWindows(b, b + 10, b + 10 + self.commit_len, b + 15 + self.commit_len)

    def head(self) -> int:
        return self.block

    def current_epoch(self, dataset_id: DatasetId) -> Epoch:
        return Epoch(self.block // 10)

    def epoch_seed(self, dataset_id: DatasetId, epoch: Epoch) -> bytes:
        return self.seeds.get(epoch, ZERO)

    def fix_seed(self, dataset_id: DatasetId, epoch: Epoch) -> str:
        self.seeds[epoch] = bytes([epoch + 7]) * 32
        return "0xseed"

    def committee(self, dataset_id: DatasetId, epoch: Epoch) -> list[ChecksumAddress]:
        return list(self.committee_members)

    def epoch_files(self, dataset_id: DatasetId, epoch: Epoch) -> list[bytes]:
        return list(FILES) if epoch == 0 else []

    def epoch_records(self, dataset_id: DatasetId, epoch: Epoch) -> list[SubmissionRecord]:
        return [record_of(f, epoch) for f in self.epoch_files(dataset_id, epoch)]

    def commitment_of(self, dataset_id: DatasetId, epoch: Epoch, who: str) -> bytes:
        return self.commitments.get(epoch, ZERO)

    def revealed(self, dataset_id: DatasetId, epoch: Epoch, who: str) -> bool:
        return epoch in self.reveals

    def commit(self, dataset_id: DatasetId, epoch: Epoch, commitment: bytes) -> str:
        if self.crash_on_commit:
            raise Crash
        w = self.windows(dataset_id, epoch)
        if not w.close_block <= self.block + 1 < w.reveal_start:
            raise ChainError("ScoreBoardNotInCommitWindow")
        if epoch in self.commitments:
            raise ChainError("ScoreBoardAlreadyCommitted")
        self.commit_calls += 1
        self.commitments[epoch] = commitment
        return f"0xcommit{epoch}"

    def reveal(
        self,
        dataset_id: DatasetId,
        epoch: Epoch,
        root: bytes,
        total: int,
        vector_cid: str,
        salt: bytes,
    ) -> str:
        w = self.windows(dataset_id, epoch)
        if not w.reveal_start <= self.block + 1 < w.finalize_from:
            raise ChainError("ScoreBoardNotInRevealWindow")
        expected = ScoreCommitment(1, BOARD, DS, epoch, ME, root, total, salt).digest()
        if self.commitments.get(epoch) != expected:
            raise ChainError("ScoreBoardRevealMismatch")
        self.reveals[epoch] = (root, total, vector_cid, salt)
        return f"0xreveal{epoch}"

    def status(self, dataset_id: DatasetId, epoch: Epoch) -> EpochStatus:
        return EpochStatus(True, epoch in self.finalized, True, 1, 1, 1)

    def finalize(self, dataset_id: DatasetId, epoch: Epoch) -> str:
        self.finalized.add(epoch)
        return "0xfinal"

    def validator_reward(self, dataset_id: DatasetId, epoch: Epoch, who: str) -> int:
        return 0 if epoch in self.claimed or epoch not in self.reveals else 5

    def claim_validator_reward(self, dataset_id: DatasetId, epoch: Epoch) -> str:
        self.claimed.add(epoch)
        return f"0xclaim{epoch}"


def opener(dataset_id: DatasetId, epoch: Epoch, record: SubmissionRecord) -> bytes:
    file_id = bytes(record.file_id)
    if file_id == FILES[2]:
        raise StorageError("CID mismatch")
    return b"plaintext of " + file_id[:1]


def scorer(files: Sequence[FileInput], validation: bytes, seed: bytes) -> EpochScores:
    ok = [f for f in files if f.plaintext is not None]
    units = to_units({FileId(f.file_id): 1 if f.plaintext else 0 for f in files})
    return EpochScores(
        file_ids=tuple(f.file_id for f in files),
        scores_bps=tuple(Bps(10_000 // len(ok) if f.plaintext else 0) for f in files),
        reasons={f.file_id.hex(): f.failure for f in files if f.failure},
        result=None,
        units=tuple(units[FileId(f.file_id)] for f in files),
    )


class CountingSalts:
    def __init__(self) -> None:
        self.drawn = 0

    def __call__(self) -> bytes:
        self.drawn += 1
        return bytes([self.drawn]) * 32


def make(
    chain: FakeChain,
    root: Path,
    salts: CountingSalts | None = None,
    clock: Callable[[], float] = lambda: 0.0,
    fix_seed_delay_s: float = 0.0,
) -> ValidatorDaemon:
    return ValidatorDaemon(
        DaemonConfig(
            chain_id=1,
            score_board=BOARD,
            dataset_id=DS,
            validator=ME,
            fix_seed_delay_s=fix_seed_delay_s,
        ),
        chain,
        Journal(root),
        opener,
        lambda ds, ep: b"validation set",
        scorer,
        salts or CountingSalts(),
        clock,
        publish=MemoryPublisher(),
    )


def run_to(d: ValidatorDaemon, chain: FakeChain, until: int) -> None:
    while chain.block < until:
        chain.block += 1
        d.tick()


def record(root: Path, epoch: int = 0) -> EpochRecord:
    rec = Journal(root).load(1, epoch)
    assert rec is not None
    return rec


def test_happy_path_to_claimed(tmp_path: Path) -> None:
    chain = FakeChain()
    d = make(chain, tmp_path)
    run_to(d, chain, 11)
    assert Journal(tmp_path).load(1, 0) is None  # 2 confirmations past the close not reached
    run_to(d, chain, 21)
    rec = record(tmp_path)
    assert rec.state is EpochState.CLAIMED
    assert rec.units == (500_000_000, 500_000_000, 0)
    assert rec.vector().root == rec.root == chain.reveals[0][0]
    assert chain.reveals[0][1] == rec.total == UNITS
    assert chain.reveals[0][2] == rec.vector_cid
    # a transient storage failure, still there at the availability deadline (block 12 here)
    assert rec.reasons[FILES[2].hex()] == "unavailable by block 12: StorageError: CID mismatch"
    assert rec.tx == {"commit": "0xcommit0", "reveal": "0xreveal0", "claim": "0xclaim0"}
    assert chain.commit_calls == 1
    assert 0 in chain.finalized
    assert d.stats.transitions["CLAIMED"] == 1
    assert d.stats.errors == 0


def test_crash_between_journal_and_commit_reuses_salt(tmp_path: Path) -> None:
    chain = FakeChain()
    salts = CountingSalts()
    chain.crash_on_commit = True
    d = make(chain, tmp_path, salts)
    with pytest.raises(Crash):
        run_to(d, chain, 13)
    valued = record(tmp_path)
    assert valued.state is EpochState.VALUED
    assert chain.commitments == {}
    chain.crash_on_commit = False
    d2 = make(chain, tmp_path, salts)  # restarted process, same journal
    run_to(d2, chain, 21)
    rec = record(tmp_path)
    assert rec.state is EpochState.CLAIMED
    assert rec.salt == valued.salt
    assert salts.drawn == 1  # never a second salt
    assert chain.commitments[0] == valued.commitment
    assert chain.commit_calls == 1


def test_crash_after_commit_before_journal_goes_to_reveal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain = FakeChain()
    d = make(chain, tmp_path)
    real_save = Journal.save

    def dying_save(self: Journal, rec: EpochRecord) -> None:
        if rec.state is EpochState.COMMITTED:
            raise Crash
        real_save(self, rec)

    monkeypatch.setattr(Journal, "save", dying_save)
    with pytest.raises(Crash):
        run_to(d, chain, 13)
    monkeypatch.undo()
    assert record(tmp_path).state is EpochState.VALUED
    assert chain.commit_calls == 1
    d2 = make(chain, tmp_path)
    run_to(d2, chain, 21)
    assert record(tmp_path).state is EpochState.CLAIMED
    assert chain.commit_calls == 1
    assert 0 in chain.reveals


def test_crash_in_fetched_refetches_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain = FakeChain()
    d = make(chain, tmp_path)
    real_save = Journal.save

    def dying_save(self: Journal, rec: EpochRecord) -> None:
        if rec.state is EpochState.VALUED:
            raise Crash
        real_save(self, rec)

    monkeypatch.setattr(Journal, "save", dying_save)
    with pytest.raises(Crash):
        run_to(d, chain, 13)
    monkeypatch.undo()
    assert record(tmp_path).state is EpochState.FETCHED
    assert chain.commitments == {}
    run_to(make(chain, tmp_path), chain, 21)
    assert record(tmp_path).state is EpochState.CLAIMED


def test_chain_commitment_differs_is_missed(tmp_path: Path) -> None:
    chain = FakeChain()
    d = make(chain, tmp_path)
    run_to(d, chain, 12)
    assert record(tmp_path).state is EpochState.COMMITTED
    chain.commitments[0] = b"\x99" * 32  # e.g. a second daemon with the same key
    run_to(d, chain, 21)
    rec = record(tmp_path)
    assert rec.state is EpochState.MISSED
    assert "differs" in rec.missed_reason
    assert 0 not in chain.reveals


def test_not_on_committee_is_missed(tmp_path: Path) -> None:
    chain = FakeChain()
    chain.committee_members = []
    d = make(chain, tmp_path)
    run_to(d, chain, 14)
    rec = record(tmp_path)
    assert rec.state is EpochState.MISSED
    assert rec.missed_reason == "not on the committee for this epoch"
    assert chain.commit_calls == 0


def test_down_through_the_reveal_window_is_missed(tmp_path: Path) -> None:
    chain = FakeChain()
    d = make(chain, tmp_path)
    run_to(d, chain, 13)
    assert record(tmp_path).state is EpochState.COMMITTED
    chain.block = 19  # the daemon was down for the whole reveal window
    d.tick()
    rec = record(tmp_path)
    assert rec.state is EpochState.MISSED
    assert "reveal window closed" in rec.missed_reason


def test_chain_errors_are_retried_next_tick(tmp_path: Path) -> None:
    chain = FakeChain()
    d = make(chain, tmp_path)
    calls = {"n": 0}
    real = chain.commit

    def flaky(dataset_id: DatasetId, epoch: Epoch, commitment: bytes) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ChainError("transport failure")
        return real(dataset_id, epoch, commitment)

    chain.commit = flaky  # type: ignore[method-assign]
    run_to(d, chain, 21)
    assert d.stats.errors == 1
    assert record(tmp_path).state is EpochState.CLAIMED
    assert chain.commit_calls == 1


def test_metrics_and_health(tmp_path: Path) -> None:
    chain = FakeChain()
    now = [1000.0]
    d = make(chain, tmp_path, clock=lambda: now[0])
    app = TestClient(create_metrics_app(d, stale_after_s=60, clock=lambda: now[0]))
    assert app.get("/healthz").status_code == 503  # never ticked
    run_to(d, chain, 21)
    r = app.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = r.text
    assert "datadao_validator_ticks_total 21.0\n" in text
    assert 'datadao_validator_epochs{state="CLAIMED"} 1.0\n' in text
    assert 'datadao_validator_transitions_total{state="COMMITTED"} 1.0\n' in text
    assert "datadao_validator_head_block 21.0\n" in text
    h = app.get("/healthz")
    assert h.status_code == 200
    assert h.json()["ok"] is True
    now[0] += 61
    assert app.get("/healthz").status_code == 503


def test_epoch_without_submissions_is_missed_without_a_commit(tmp_path: Path) -> None:
    chain = FakeChain()
    d = make(chain, tmp_path)
    run_to(d, chain, 31)  # epoch 1 has no files
    rec = record(tmp_path, 1)
    assert rec.state is EpochState.MISSED
    assert rec.missed_reason == "no submissions in this epoch"
    assert 1 not in chain.commitments


def test_json_logs_carry_ids_not_data(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    chain = FakeChain()
    d = make(chain, tmp_path)
    with caplog.at_level(logging.INFO, logger="validator.daemon.driver"):
        run_to(d, chain, 21)
    lines = [json.loads(JsonLogFormatter().format(r)) for r in caplog.records]
    assert any(x.get("to") == "COMMITTED" and x["epoch"] == 0 for x in lines)
    assert any(x.get("file_id") == FILES[2].hex() for x in lines)
    text = "\n".join(json.dumps(x) for x in lines)
    assert "plaintext of" not in text
    rec = record(tmp_path)
    assert rec.salt is not None
    assert rec.salt.hex() not in text


def test_lagging_rpc_does_not_loop_commits_within_a_tick(tmp_path: Path) -> None:
    chain = FakeChain()
    d = make(chain, tmp_path)
    run_to(d, chain, 12)
    assert record(tmp_path).state is EpochState.COMMITTED
    sent: list[bytes] = []

    def lagging_commit(dataset_id: DatasetId, epoch: Epoch, commitment: bytes) -> str:
        sent.append(commitment)
        return "0xlagging"

    chain.commit = lagging_commit  # type: ignore[method-assign]
    chain.commitments.clear()  # the RPC does not (yet) show our commit
    chain.block += 1
    d.tick()
    assert 1 <= len(sent) <= len(EpochState)
    assert len(set(sent)) == 1  # always the journaled commitment


def test_seed_fixing_waits_its_turn_and_leaves_it_to_whoever_was_first(tmp_path: Path) -> None:
    chain = FakeChain()
    now = [0.0]
    fixed: list[int] = []
    real_fix = chain.fix_seed

    def counting_fix(dataset_id: DatasetId, epoch: Epoch) -> str:
        fixed.append(int(epoch))
        return real_fix(dataset_id, epoch)

    chain.fix_seed = counting_fix  # type: ignore[method-assign]
    d = make(chain, tmp_path, clock=lambda: now[0], fix_seed_delay_s=1.5)
    chain.block = 12
    d.tick()
    assert fixed == []  # its delay has not passed: someone else may fix it first
    assert Journal(tmp_path).load(1, 0) is None
    now[0] = 1.0
    d.tick()
    assert fixed == []
    now[0] = 1.6
    d.tick()
    assert fixed == [0]  # nobody did: it fixes the seed itself, once
    assert record(tmp_path).state is not EpochState.MISSED

    chain2, now[0] = FakeChain(), 0.0
    fixed.clear()
    chain2.fix_seed = counting_fix  # type: ignore[method-assign]
    d2 = make(chain2, tmp_path / "two", clock=lambda: now[0], fix_seed_delay_s=1.5)
    chain2.block = 12
    d2.tick()
    chain2.seeds[0] = b"\x09" * 32  # another validator fixed it meanwhile
    now[0] = 2.0
    d2.tick()
    assert fixed == []
    assert record(tmp_path / "two").state is not EpochState.MISSED


def test_seed_delays_spread_validators_apart() -> None:
    delays = {seed_delay_for(f"0x{i:040x}") for i in range(1, 5)}
    assert len(delays) == 4
    assert all(0.0 <= x < 2.0 for x in delays)


# -- availability: a temporary refusal is never a permanent verdict ------------------------------


def refused_not_committee(file_id: bytes) -> NotEnoughShares:
    """What gathering raises when the peers' share services do not see the committee yet."""
    peers = [f"0x{i:040x}" for i in (1, 2, 3)]
    return NotEnoughShares(
        file_id=file_id.hex(),
        threshold=3,
        valid=0,
        unreachable={},
        refused=dict.fromkeys(peers, "not_committee: not on the committee of this epoch"),
        bad=[],
    )


class LaggingPeers:
    """Wraps an opener: every share request is refused ``not_committee`` until block ``until``
    (the peers' services read the chain a few blocks behind)."""

    def __init__(self, chain: FakeChain, inner: FileOpener, until: int) -> None:
        self.chain, self.inner, self.until = chain, inner, until
        self.attempts: list[tuple[int, bytes]] = []

    def __call__(self, dataset_id: DatasetId, epoch: Epoch, record: SubmissionRecord) -> bytes:
        file_id = bytes(record.file_id)
        self.attempts.append((self.chain.block, file_id))
        if self.chain.block < self.until:
            raise refused_not_committee(file_id)
        return self.inner(dataset_id, epoch, record)


def open_all(dataset_id: DatasetId, epoch: Epoch, record: SubmissionRecord) -> bytes:
    file_id = bytes(record.file_id)
    return b"plaintext of " + file_id[:1]


def make_with(
    chain: FakeChain,
    root: Path,
    *,
    opener: FileOpener = opener,
    scorer: Scorer = scorer,
    clock: Callable[[], float] = lambda: 0.0,
    fix_seed_delay_s: float = 0.0,
    publish: MemoryPublisher | None = None,
    salts: Callable[[], bytes] | None = None,
) -> ValidatorDaemon:
    return ValidatorDaemon(
        DaemonConfig(
            chain_id=1,
            score_board=BOARD,
            dataset_id=DS,
            validator=ME,
            fix_seed_delay_s=fix_seed_delay_s,
        ),
        chain,
        Journal(root),
        opener,
        lambda ds, ep: b"validation set",
        scorer,
        salts or CountingSalts(),
        clock,
        publish=publish or MemoryPublisher(),
    )


def test_lagging_peers_do_not_turn_into_a_committed_zero(tmp_path: Path) -> None:
    """Issue #17: the honest validator whose share requests were refused ``not_committee`` at
    first commits exactly what its peers commit, instead of zeros for the refused files."""
    peer_chain, lagging_chain = FakeChain(commit_len=20), FakeChain(commit_len=20)
    peer = make_with(peer_chain, tmp_path / "peer", opener=open_all)
    lag = LaggingPeers(lagging_chain, open_all, until=16)  # deadline: 10 + 20 // 2 = 20
    lagging = make_with(lagging_chain, tmp_path / "lagging", opener=lag)
    run_to(peer, peer_chain, 40)
    run_to(lagging, lagging_chain, 40)

    ours, theirs = record(tmp_path / "lagging"), record(tmp_path / "peer")
    assert ours.state is theirs.state is EpochState.CLAIMED
    assert ours.units == theirs.units == (333_333_334, 333_333_333, 333_333_333)
    assert ours.reasons == theirs.reasons == {}
    assert lagging.stats.file_retries > 0  # it was refused, and asked again
    assert lagging.stats.files_zeroed == {}
    refused = [b for b, _ in lag.attempts if b < 16]
    assert refused  # the refusals really happened before the peers caught up
    assert 0 in lagging_chain.commitments
    assert lagging_chain.reveals[0][:3] == peer_chain.reveals[0][:3]  # root, total, CID


def test_retries_back_off_and_no_verdict_before_the_deadline(tmp_path: Path) -> None:
    chain = FakeChain(commit_len=20)
    lag = LaggingPeers(chain, open_all, until=10_000)  # never serves
    d = make_with(chain, tmp_path, opener=lag)
    run_to(d, chain, 19)  # the deadline is block 20
    assert record(tmp_path).state is EpochState.ASSIGNED
    assert chain.commitments == {}
    ticks = sorted({b for b, f in lag.attempts if f == FILES[0]})
    # first attempt at block 12 (2 confirmations), then after 1, 2, 4, 4... ticks (capped)
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert gaps[:3] == [1, 2, 4]
    assert all(g <= MAX_BACKOFF_TICKS for g in gaps)


def test_still_refused_at_the_deadline_is_unavailable_and_scores_zero(tmp_path: Path) -> None:
    chain = FakeChain(commit_len=20)

    def one_never_served(dataset_id: DatasetId, epoch: Epoch, record: SubmissionRecord) -> bytes:
        file_id = bytes(record.file_id)
        if file_id == FILES[1]:
            raise refused_not_committee(file_id)
        return open_all(dataset_id, epoch, record)

    d = make_with(chain, tmp_path, opener=one_never_served)
    run_to(d, chain, 20)
    rec = record(tmp_path)
    assert rec.state is EpochState.COMMITTED  # judged at the deadline, committed in the window
    assert rec.units == (500_000_000, 0, 500_000_000)
    why = rec.reasons[FILES[1].hex()]
    assert why.startswith("unavailable by block 20: NotEnoughShares")
    assert "not_committee" in why
    assert d.stats.files_zeroed == {"unavailable": 1}
    run_to(d, chain, 40)
    assert record(tmp_path).state is EpochState.CLAIMED


@pytest.mark.parametrize(
    "err",
    [
        FileHeaderMismatch("f"),
        EnvelopeError("file f: plaintext does not match its commitment"),
        MalformedBlock("bafy", "not dag-pb"),
        FileNotInEpoch("f", 3),
    ],
    ids=lambda e: type(e).__name__,
)
def test_invalid_files_are_judged_at_once(tmp_path: Path, err: Exception) -> None:
    """A fact about the registered bytes needs no deadline: every validator fetching the same
    CID sees the same bytes."""
    chain = FakeChain(commit_len=20)
    calls: list[int] = []

    def invalid_third(dataset_id: DatasetId, epoch: Epoch, record: SubmissionRecord) -> bytes:
        file_id = bytes(record.file_id)
        if file_id == FILES[2]:
            calls.append(chain.block)
            raise err
        return open_all(dataset_id, epoch, record)

    d = make_with(chain, tmp_path, opener=invalid_third)
    run_to(d, chain, 12)
    rec = record(tmp_path)
    assert rec.state is EpochState.COMMITTED  # long before the deadline (block 20)
    assert calls == [12]  # asked once
    assert rec.reasons[FILES[2].hex()] == f"invalid: {type(err).__name__}: {err}"
    assert d.stats.files_zeroed == {"invalid": 1}


def test_an_opener_bug_is_contained_counted_and_retried(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    chain = FakeChain(commit_len=20)
    calls = {"n": 0}

    def buggy(dataset_id: DatasetId, epoch: Epoch, record: SubmissionRecord) -> bytes:
        file_id = bytes(record.file_id)
        if file_id == FILES[0]:
            calls["n"] += 1
            if calls["n"] <= 2:
                raise TypeError("a bug reached by hostile bytes")
        return open_all(dataset_id, epoch, record)

    d = make_with(chain, tmp_path, opener=buggy)
    with caplog.at_level(logging.INFO, logger="validator.daemon.driver"):
        run_to(d, chain, 40)
    rec = record(tmp_path)
    assert rec.state is EpochState.CLAIMED
    assert rec.units == (333_333_334, 333_333_333, 333_333_333)  # a bug is no evidence
    assert d.stats.unexpected == 2
    logged = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(logged) == 2
    assert all(getattr(r, "file_id", None) == FILES[0].hex() for r in logged)
    assert all(r.exc_info is not None for r in logged)  # the traceback is kept


def test_a_scorer_bug_is_contained_and_retried_with_backoff(tmp_path: Path) -> None:
    chain = FakeChain(commit_len=20)
    calls: list[int] = []

    def flaky(files: Sequence[FileInput], validation: bytes, seed: bytes) -> EpochScores:
        calls.append(chain.block)
        if len(calls) <= 2:
            raise RecursionError("maximum recursion depth exceeded")
        return scorer(files, validation, seed)

    d = make_with(chain, tmp_path, opener=open_all, scorer=flaky)
    run_to(d, chain, 40)
    assert record(tmp_path).state is EpochState.CLAIMED
    assert calls[:3] == [12, 13, 15]  # then after 1 tick, then after 2 ticks
    assert d.stats.unexpected == 2
    assert d.stats.errors == 2
    assert d.stats.errors_by_class == {"RecursionError": 2}


def test_a_scorer_that_always_fails_ends_missed_with_the_error_and_never_raises(
    tmp_path: Path,
) -> None:
    chain = FakeChain()

    def broken(files: Sequence[FileInput], validation: bytes, seed: bytes) -> EpochScores:
        raise MemoryError

    d = make_with(chain, tmp_path, scorer=broken)
    run_to(d, chain, 30)  # no exception out of tick()
    rec = record(tmp_path)
    assert rec.state is EpochState.MISSED
    assert rec.missed_reason == "commit window closed before scoring (last error: MemoryError)"
    assert chain.commitments == {}


def test_an_unreadable_head_skips_the_tick(tmp_path: Path) -> None:
    chain = FakeChain()
    d = make_with(chain, tmp_path)
    run_to(d, chain, 3)

    def dead() -> int:
        raise ChainError("RPC unreachable")

    chain.head = dead  # type: ignore[method-assign]
    before = d.stats.last_tick_at, d.stats.last_head
    d.tick()
    assert d.stats.errors == 1
    assert (d.stats.last_tick_at, d.stats.last_head) == before  # /healthz goes stale


def test_a_corrupt_journal_record_is_quarantined_once_and_the_epoch_missed(tmp_path: Path) -> None:
    chain = FakeChain()
    d = make_with(chain, tmp_path)
    run_to(d, chain, 12)
    assert record(tmp_path).state is EpochState.COMMITTED
    (tmp_path / "1-0.json").write_bytes(b'{"format": "datadao.validator-journal/1", "sta')
    app = TestClient(create_metrics_app(d))
    assert app.get("/metrics").status_code == 200  # one bad file does not break /metrics
    run_to(d, chain, 25)
    rec = record(tmp_path)
    assert rec.state is EpochState.MISSED
    assert rec.missed_reason.startswith("journal record was corrupt")
    assert "1-0.json.corrupt-1" in rec.missed_reason
    assert (tmp_path / "1-0.json.corrupt-1").read_bytes().endswith(b'"sta')
    assert d.stats.quarantined == 1
    assert d.stats.errors == 0  # not retried for ever: handled once
    assert 0 not in chain.reveals  # the salt is gone; it does not guess
    assert [r.epoch for r in Journal(tmp_path).records()][:1] == [0]
    assert app.get("/metrics").status_code == 200


def test_the_seed_is_fixed_whatever_the_delay_once_it_is_urgent(tmp_path: Path) -> None:
    chain = FakeChain(commit_len=100)
    fixed: list[int] = []
    real_fix = chain.fix_seed

    def counting_fix(dataset_id: DatasetId, epoch: Epoch) -> str:
        fixed.append(chain.block)
        return real_fix(dataset_id, epoch)

    chain.fix_seed = counting_fix  # type: ignore[method-assign]
    # a clock that never reaches its (absurd) delay: politeness alone would never fix it
    d = make_with(chain, tmp_path, fix_seed_delay_s=1e9)
    run_to(d, chain, 10 + SEED_URGENT_BLOCKS - 1)
    assert fixed == []
    run_to(d, chain, 10 + SEED_URGENT_BLOCKS)
    assert fixed == [10 + SEED_URGENT_BLOCKS]
    assert d.stats.seeds_fixed == 1


def test_past_the_blockhash_window_the_epoch_is_missed_without_a_doomed_fix(
    tmp_path: Path,
) -> None:
    chain = FakeChain(commit_len=400)
    fixed: list[int] = []

    def fix(dataset_id: DatasetId, epoch: Epoch) -> str:
        fixed.append(int(epoch))
        raise ChainError("ScoreBoardSeedUnavailable")

    chain.fix_seed = fix  # type: ignore[method-assign]
    d = make_with(chain, tmp_path)
    chain.block = 10 + 254  # the daemon was down until now; a fix would land at close + 255
    chain.current_epoch = lambda dataset_id: Epoch(0)  # type: ignore[method-assign]
    d.tick()
    assert fixed == [0]  # still in time: it tries
    fixed.clear()
    chain.block = 10 + 255
    d.tick()
    rec = record(tmp_path)
    assert rec.state is EpochState.MISSED
    assert "256 blocks" in rec.missed_reason
    assert fixed == []


def test_hostile_plaintext_through_the_real_scorer_scores_zero_and_the_daemon_runs_on(
    tmp_path: Path,
) -> None:
    """End to end at unit level: the real ``score_epoch`` behind the daemon, one file a
    hostile canonical file (a 10,000-deep nested text); it is committed as a flagged 0 and the
    honest files share the epoch."""
    rng = np.random.default_rng(5)
    spec = ValuationSpec(
        model="ngram", featurizer=FeaturizerSpec(kind="bytes", order=2), n_models=8, model_chunk=8
    )
    backend = LocalBackend("cpu", threads=1)

    def canonical(account: str, n: int) -> bytes:
        return canonicalize(
            ParsedExport(
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
                    for i, r in enumerate(chat_records(rng, n))
                ),
            )
        ).data

    head = b'{"account":null,"format":"datadao.export/1","platform":"chatgpt","records":1}\n'
    plain = {
        FILES[0]: canonical("a", 12),
        FILES[1]: head + b'{"text":' + b"[" * 10_000 + b"]" * 10_000 + b"}\n",
        FILES[2]: canonical("c", 12),
    }
    validation = canonical("dao", 30)

    def real_scorer(files: Sequence[FileInput], val: bytes, seed: bytes) -> EpochScores:
        return score_epoch(files, val, spec, seed, backend)

    chain = FakeChain()
    d = ValidatorDaemon(
        DaemonConfig(chain_id=1, score_board=BOARD, dataset_id=DS, validator=ME),
        chain,
        Journal(tmp_path),
        lambda ds, ep, rec: plain[bytes(rec.file_id)],
        lambda ds, ep: validation,
        real_scorer,
        publish=MemoryPublisher(),
    )
    run_to(d, chain, 21)
    rec = record(tmp_path)
    assert rec.state is EpochState.CLAIMED
    assert rec.units[1] == 0
    assert rec.reasons[FILES[1].hex()].startswith("malformed: not canonical JSONL")
    assert sum(rec.units) == UNITS
    assert ScoreVector.decode(rec.vector().encode()).root == rec.root
    assert d.stats.errors == 0


# ---- protocol v2: the score vector ----------------------------------------------------------


def test_two_validators_publish_byte_identical_vectors_and_commit_the_same_root(
    tmp_path: Path,
) -> None:
    """Honest validators agree on the root only if their vectors are the same bytes: different
    salts (so different commitments), the same units, root, total, document and CID."""
    chains = FakeChain(), FakeChain()
    stores = MemoryPublisher(), MemoryPublisher()
    salts = iter([lambda: b"\x01" * 32, lambda: b"\x02" * 32])
    daemons = [
        make_with(c, tmp_path / str(i), opener=open_all, publish=p, salts=next(salts))
        for i, (c, p) in enumerate(zip(chains, stores, strict=True))
    ]
    for d, c in zip(daemons, chains, strict=True):
        run_to(d, c, 21)
    a, b = record(tmp_path / "0"), record(tmp_path / "1")
    assert a.state is b.state is EpochState.CLAIMED
    assert chains[0].commitments[0] != chains[1].commitments[0]
    assert chains[0].reveals[0][:3] == chains[1].reveals[0][:3]
    assert stores[0].blobs == stores[1].blobs
    (doc,) = stores[0].blobs.values()
    vector = ScoreVector.decode(doc)
    assert vector.root == a.root == b.root
    assert vector.entries == tuple(zip(FILES, (333_333_334, 333_333_333, 333_333_333), strict=True))


def test_the_real_scorer_gives_the_same_vector_bytes_twice() -> None:
    spec = ValuationSpec(
        model="ngram", featurizer=FeaturizerSpec(kind="bytes", order=2), n_models=8, model_chunk=8
    )
    backend = LocalBackend("cpu", threads=1)
    rng = np.random.default_rng(3)

    def canonical(account: str, n: int) -> bytes:
        records = tuple(
            ExportRecord(
                id=f"{account}-{i}",
                timestamp=None,
                kind="message",
                text=r.text,
                author="user",
                thread=None,
            )
            for i, r in enumerate(chat_records(rng, n))
        )
        return canonicalize(ParsedExport(platform="chatgpt", account=account, records=records)).data

    files = [FileInput(f, canonical(f.hex()[:4], 12), contributor=ALICE) for f in FILES]
    validation = canonical("dao", 30)
    seed = b"\x05" * 32
    docs = []
    for _ in range(2):
        scores = score_epoch(files, validation, spec, seed, backend)
        units = dict(zip((FileId(f) for f in scores.file_ids), scores.units, strict=True))
        docs.append(ScoreVector.from_units(DS, Epoch(0), units).encode())
    assert docs[0] == docs[1]
    assert ScoreVector.decode(docs[0]).total == UNITS
    assert scores.units == tuple(
        to_units(dict(zip((FileId(f) for f in FILES), scores.units, strict=True))).values()
    )


def test_a_crash_between_commit_and_reveal_reveals_the_journaled_root_and_cid(
    tmp_path: Path,
) -> None:
    chain = FakeChain()
    store = MemoryPublisher()
    d = make_with(chain, tmp_path, opener=open_all, publish=store)
    run_to(d, chain, 12)
    committed = record(tmp_path)
    assert committed.state is EpochState.COMMITTED
    assert committed.vector_cid in store.blobs
    # a new process, a new (empty) store: nothing is valued or published again
    scored: list[int] = []

    def no_rescoring(files: Sequence[FileInput], validation: bytes, seed: bytes) -> EpochScores:
        scored.append(1)
        return scorer(files, validation, seed)

    fresh = MemoryPublisher()
    d2 = make_with(chain, tmp_path, opener=open_all, scorer=no_rescoring, publish=fresh)
    run_to(d2, chain, 21)
    rec = record(tmp_path)
    assert rec.state is EpochState.CLAIMED
    assert scored == []
    assert fresh.blobs == {}
    assert chain.reveals[0] == (committed.root, UNITS, committed.vector_cid, committed.salt)


def test_a_failing_blob_store_delays_the_commit_and_never_rescores(tmp_path: Path) -> None:
    chain = FakeChain()
    store = MemoryPublisher()
    store.fail = True
    calls: list[int] = []

    def counting(files: Sequence[FileInput], validation: bytes, seed: bytes) -> EpochScores:
        calls.append(1)
        return scorer(files, validation, seed)

    d = make_with(chain, tmp_path, opener=open_all, scorer=counting, publish=store)
    run_to(d, chain, 12)
    rec = record(tmp_path)
    assert rec.state is EpochState.VALUED
    assert rec.vector_cid is None
    assert 0 not in chain.commitments
    assert d.stats.errors_by_class.get("StorageError", 0) >= 1
    store.fail = False
    run_to(d, chain, 21)
    rec = record(tmp_path)
    assert rec.state is EpochState.CLAIMED
    assert calls == [1]
    assert ScoreVector.decode(store.blobs[rec.vector_cid or ""]).root == rec.root
    assert "publish" in d.stats.seconds
    assert "commit" in d.stats.seconds


def test_the_scorer_sees_each_files_contributor(tmp_path: Path) -> None:
    chain = FakeChain()
    seen: list[str | None] = []

    def spy(files: Sequence[FileInput], validation: bytes, seed: bytes) -> EpochScores:
        seen.extend(f.contributor for f in files)
        return scorer(files, validation, seed)

    d = make_with(chain, tmp_path, scorer=spy)
    run_to(d, chain, 13)
    assert seen == [ALICE, ALICE, ALICE]  # the unavailable file too


def test_a_header_naming_another_contributor_scores_zero_with_the_reason(tmp_path: Path) -> None:
    from node.custody.errors import HeaderNamesAnotherContributor

    mallory_copy = FILES[1]

    def copies(dataset_id: DatasetId, epoch: Epoch, record: SubmissionRecord) -> bytes:
        if bytes(record.file_id) == mallory_copy:
            raise HeaderNamesAnotherContributor(record.name, ALICE, str(record.contributor))
        return open_all(dataset_id, epoch, record)

    chain = FakeChain()
    d = make_with(chain, tmp_path, opener=copies)
    run_to(d, chain, 21)
    rec = record(tmp_path)
    assert rec.state is EpochState.CLAIMED
    assert rec.units == (500_000_000, 0, 500_000_000)
    assert rec.reasons[mallory_copy.hex()].startswith("header names another contributor")
    assert d.stats.files_zeroed == {"invalid": 1}
    # the zero is in the published vector, so the copy's bond can be proven forfeit
    vector = rec.vector()
    assert vector.value(mallory_copy) == 0
    from node.protocol.scorevector import verify_proof

    assert verify_proof(rec.root or b"", mallory_copy, 0, vector.proof(mallory_copy))
