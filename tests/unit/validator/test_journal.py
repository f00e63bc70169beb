"""The journal survives crashes: atomic replacement, salt on disk before the commit is sent."""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.protocol.scorevector import ScoreVector
from node.types import DatasetId, Epoch, FileId
from validator.daemon.commitment import new_salt
from validator.daemon.journal import CorruptRecord, EpochRecord, Journal, JournalError
from validator.daemon.state import EpochState, IllegalTransition, RecoveryAction, decide_recovery

ZERO32 = b"\x00" * 32


class Crash(Exception):
    """Stands for the process dying."""


class FakeBoard:
    """The ScoreBoard as the daemon sees it: one commitment slot per (dataset, epoch)."""

    def __init__(self) -> None:
        self.commitments: dict[tuple[int, int], bytes] = {}
        self.sent = 0
        self.crash_before_send = False

    def commit(self, dataset_id: int, epoch: int, commitment: bytes) -> str:
        if self.crash_before_send:
            raise Crash
        if (dataset_id, epoch) in self.commitments:
            raise AssertionError("double commit")
        self.sent += 1
        self.commitments[(dataset_id, epoch)] = commitment
        return "0x" + "ab" * 32

    def commitment_of(self, dataset_id: int, epoch: int) -> bytes:
        return self.commitments.get((dataset_id, epoch), ZERO32)


def _root(file_ids: tuple[bytes, ...], units: tuple[int, ...]) -> bytes:
    pairs = dict(zip((FileId(f) for f in file_ids), units, strict=True))
    return ScoreVector.from_units(DatasetId(1), Epoch(7), pairs).root


def _valued(journal: Journal) -> EpochRecord:
    rec = EpochRecord(dataset_id=1, epoch=7)
    rec = rec.advance(EpochState.FETCHED, file_ids=(b"\x01" * 32, b"\x02" * 32))
    salt = new_salt()
    units = (600_000_000, 400_000_000)
    rec = rec.advance(
        EpochState.VALUED,
        units=units,
        root=_root(rec.file_ids, units),
        total=sum(units),
        salt=salt,
        commitment=b"\x33" * 32,
        reasons={"02" * 32: "missing ciphertext"},
    )
    journal.save(rec)  # the salt is durable before any commit goes out
    return rec


def _commit_step(journal: Journal, board: FakeBoard) -> None:
    """The daemon's commit step, reduced to its order of effects."""
    rec = journal.load(1, 7)
    assert rec is not None
    chain = board.commitment_of(1, 7)
    decision = decide_recovery(rec.state, rec.commitment, chain, False, commit_open=True)
    if decision.action is RecoveryAction.SEND_COMMIT:
        assert rec.commitment is not None
        tx = board.commit(1, 7, rec.commitment)
        if rec.state is EpochState.VALUED:
            rec = rec.advance(EpochState.COMMITTED, tx={**rec.tx, "commit": tx})
        journal.save(rec)


def test_round_trip(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j")
    rec = _valued(j)
    assert j.load(1, 7) == rec
    assert j.load(1, 8) is None
    assert j.records() == [rec]


def test_file_is_private_and_leaves_no_temp(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j")
    _valued(j)
    files = os.listdir(j.root)
    assert files == ["1-7.json"]
    assert stat.S_IMODE((j.root / "1-7.json").stat().st_mode) == 0o600


def test_salt_not_in_repr(tmp_path: Path) -> None:
    rec = _valued(Journal(tmp_path))
    assert rec.salt is not None
    assert rec.salt.hex() not in repr(rec)


def test_crash_between_journal_and_commit_resends_same_commitment(tmp_path: Path) -> None:
    j = Journal(tmp_path)
    rec = _valued(j)
    board = FakeBoard()
    board.crash_before_send = True
    with pytest.raises(Crash):
        _commit_step(j, board)
    # restart: the journal still holds the salt and commitment, nothing reached the chain
    board.crash_before_send = False
    _commit_step(j, board)
    after = j.load(1, 7)
    assert after is not None
    assert after.state is EpochState.COMMITTED
    assert after.salt == rec.salt
    assert board.commitments[(1, 7)] == rec.commitment
    # a second restart does not commit again
    _commit_step(j, board)
    assert board.sent == 1


def test_crash_after_send_before_journal_update_goes_to_reveal(tmp_path: Path) -> None:
    j = Journal(tmp_path)
    rec = _valued(j)
    board = FakeBoard()
    assert rec.commitment is not None
    board.commit(1, 7, rec.commitment)  # landed, but we died before journaling COMMITTED
    loaded = j.load(1, 7)
    assert loaded is not None
    d = decide_recovery(
        loaded.state, loaded.commitment, board.commitment_of(1, 7), False, commit_open=True
    )
    assert d.action is RecoveryAction.SEND_REVEAL


def test_save_replaces_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    j = Journal(tmp_path)
    rec = _valued(j)

    def boom(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(JournalError):
        j.save(rec.advance(EpochState.COMMITTED))
    monkeypatch.undo()
    assert j.load(1, 7) == rec
    assert os.listdir(tmp_path) == ["1-7.json"]


def test_illegal_advance_refused(tmp_path: Path) -> None:
    rec = _valued(Journal(tmp_path))
    with pytest.raises(IllegalTransition):
        rec.advance(EpochState.VALUED)


def test_miss_keeps_reason(tmp_path: Path) -> None:
    j = Journal(tmp_path)
    rec = _valued(j).miss("commit window closed")
    j.save(rec)
    loaded = j.load(1, 7)
    assert loaded is not None
    assert loaded.state is EpochState.MISSED
    assert loaded.missed_reason == "commit window closed"


@pytest.mark.parametrize(
    "text", ["not json", "[]", json.dumps({"format": "other/1"}), json.dumps({"format": "x"})]
)
def test_corrupt_journal_is_a_typed_error(tmp_path: Path, text: str) -> None:
    (tmp_path / "1-7.json").write_text(text)
    with pytest.raises(JournalError):
        Journal(tmp_path).load(1, 7)


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe not utf-8",
        b"[" * 100_000,
        json.dumps({"format": "datadao.validator-journal/1", "reasons": "x"}).encode(),
        b"",
    ],
    ids=["not-utf8", "deep", "fields-retyped", "empty"],
)
def test_unreadable_bytes_are_a_corrupt_record(tmp_path: Path, data: bytes) -> None:
    (tmp_path / "1-7.json").write_bytes(data)
    with pytest.raises(CorruptRecord):
        Journal(tmp_path).load(1, 7)


def _raw(rec: EpochRecord, **changes: object) -> bytes:
    return json.dumps({**rec.to_json(), **changes}).encode()


def test_records_that_break_the_state_machine_are_corrupt(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j")
    rec = _valued(j)
    path = j.root / "1-7.json"
    for changes in (
        {"salt": None},  # VALUED without the salt it committed to
        {"commitment": "ab"},
        {"units": [1]},  # two files, one score
        {"units": [2_000_000_000, 0]},
        {"units": [400_000_000, 600_000_000]},  # not the committed root
        {"root": "00" * 32},
        {"total": "999999999"},
        {"total": 1_000_000_000},  # a string in the format
        {"units": ["600000000", "400000000"]},
        {"vector_cid": 5},
        {"vector_cid": ""},
        {"file_ids": ["01" * 32, "01" * 32]},
        {"epoch": 8},  # another epoch's record under this name
        {"file_ids": ["01"]},
    ):
        path.write_bytes(_raw(rec, **changes))
        with pytest.raises(CorruptRecord):
            j.load(1, 7)


def test_one_corrupt_record_does_not_hide_the_others(tmp_path: Path) -> None:
    """``validator status`` and ``/metrics`` list every readable epoch around a bad one."""
    j = Journal(tmp_path)
    good = _valued(j)
    j.save(EpochRecord(dataset_id=1, epoch=9).miss("not on the committee"))
    (tmp_path / "1-8.json").write_text("{ torn")
    assert [r.epoch for r in j.records()] == [7, 9]
    assert j.records()[0] == good
    ((bad, why),) = j.unreadable()
    assert bad.name == "1-8.json"
    assert "JSON" in why


def test_quarantine_moves_the_record_aside_and_keeps_earlier_copies(tmp_path: Path) -> None:
    j = Journal(tmp_path)
    (tmp_path / "1-8.json").write_text("first")
    first = j.quarantine(1, 8)
    assert first.name == "1-8.json.corrupt-1"
    assert j.load(1, 8) is None
    (tmp_path / "1-8.json").write_text("second")
    second = j.quarantine(1, 8)
    assert second.name == "1-8.json.corrupt-2"
    assert first.read_text() == "first"
    assert second.read_text() == "second"
    assert j.records() == []
    assert j.unreadable() == []


def test_quarantine_of_a_missing_record_is_a_journal_error(tmp_path: Path) -> None:
    with pytest.raises(JournalError):
        Journal(tmp_path).quarantine(1, 8)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_random_bytes_load_or_are_a_corrupt_record(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "1-7.json").write_bytes(data)
        try:
            rec = Journal(Path(d)).load(1, 7)
        except CorruptRecord:
            return
        assert rec is not None
        assert (rec.dataset_id, rec.epoch) == (1, 7)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_records_load_or_are_a_corrupt_record(data: st.DataObject) -> None:
    rec = (
        EpochRecord(dataset_id=1, epoch=7)
        .advance(EpochState.FETCHED, file_ids=(b"\x01" * 32,))
        .advance(
            EpochState.VALUED,
            units=(10**9,),
            root=_root((b"\x01" * 32,), (10**9,)),
            total=10**9,
            salt=b"\x02" * 32,
            commitment=b"\x03" * 32,
            vector_cid="bafyvector",
        )
    )
    raw = rec.to_json()
    key = data.draw(st.sampled_from(sorted(raw)))
    raw[key] = data.draw(
        st.none()
        | st.integers()
        | st.text(max_size=8)
        | st.lists(st.integers(), max_size=3)
        | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
    )
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "1-7.json").write_text(json.dumps(raw))
        try:
            loaded = Journal(Path(d)).load(1, 7)
        except CorruptRecord:
            return
        assert loaded is not None  # what loads is a consistent record that saves and reloads
        Journal(Path(d)).save(loaded)
        assert Journal(Path(d)).load(1, 7) == loaded


def test_an_unchanged_record_is_parsed_once_and_a_changed_one_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The daemon loads its epoch's record every tick; checking a 10,000-file record rebuilds
    # its Merkle tree, which kept four daemons busy between reveal and finalize.
    j = Journal(tmp_path / "j")
    rec = _valued(j)
    parsed = {"n": 0}
    real = EpochRecord.from_json

    def counting(raw: dict[str, object]) -> EpochRecord:
        parsed["n"] += 1
        return real(raw)

    monkeypatch.setattr(EpochRecord, "from_json", staticmethod(counting))
    first = j.load(1, 7)
    assert first == rec
    assert first is not None
    first.reasons.clear()  # a caller's copy: the journal's own record is not touched
    assert j.load(1, 7) == rec
    assert parsed["n"] == 1
    later = rec.advance(EpochState.COMMITTED, tx={"commit": "0xabc"})
    j.save(later)
    assert j.load(1, 7) == later
    assert parsed["n"] == 2
    # bytes changed behind the journal's back are read again, and refused when corrupt
    path = tmp_path / "j" / "1-7.json"
    path.write_text(path.read_text().replace('"units"', '"unitz"'))
    with pytest.raises(CorruptRecord):
        j.load(1, 7)
    path.unlink()
    assert j.load(1, 7) is None
