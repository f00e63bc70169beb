"""The web app's file-system readers and stores, with hostile inputs: journals in the documented
format (whose salt is never returned), torn or foreign records, uploads with path names, jobs
that fail."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from node.errors import InputError, StorageError
from node.services.uploads import UnknownUpload, UploadStore, UploadTooLarge, safe_name
from node.services.validator_files import (
    UnknownValidator,
    audit_tail,
    file_reasons,
    journal,
    label_file,
    labels,
)
from node.ui.jobs import Job, JobBoard, JobBusy

ADDRESS = "0x" + "Ab" * 20
SALT = "5a" * 32


def _record(epoch: int, **over: object) -> dict[str, object]:
    return {
        "format": "datadao.validator-journal/1",
        "dataset_id": 1,
        "epoch": epoch,
        "state": "REVEALED",
        "file_ids": ["cd" * 32],
        "scores_bps": [0],
        "reasons": {"cd" * 32: "validation_overlap: 146 of 146 records"},
        "salt": SALT,
        "commitment": "ef" * 32,
        "tx": {"commit": "0x1"},
        "missed_reason": "",
        **over,
    }


def _write_journal(home: Path, name: str, raw: bytes) -> None:
    root = home / "validator" / ADDRESS / "journal"
    root.mkdir(parents=True, exist_ok=True)
    (root / name).write_bytes(raw)


def test_a_journal_is_read_without_its_salt_and_bad_records_are_named(tmp_path: Path) -> None:
    _write_journal(tmp_path, "1-2.json", json.dumps(_record(2)).encode())
    _write_journal(tmp_path, "1-3.json", b"\xff\xfe not json")
    _write_journal(tmp_path, "1-4.json", json.dumps(_record(4, format="other/9")).encode())
    _write_journal(tmp_path, "1-5.json", json.dumps(_record(5, scores_bps="x")).encode())
    _write_journal(tmp_path, "1-6.json", b"[" * 100_000)
    _write_journal(tmp_path, "notes.txt", b"ignored")
    scan = journal(tmp_path, ADDRESS)
    assert [e.epoch for e in scan.entries] == [2]
    assert scan.unreadable == ["1-3.json", "1-4.json", "1-5.json", "1-6.json"]
    assert SALT not in repr(scan)
    assert file_reasons(tmp_path, 1) == {"cd" * 32: ["validation_overlap: 146 of 146 records"]}
    assert file_reasons(tmp_path, 2) == {}


@pytest.mark.parametrize("address", ["../../etc", "0x" + "g" * 40, ADDRESS + "/..", ""])
def test_a_validator_address_that_is_not_one_reaches_no_path(tmp_path: Path, address: str) -> None:
    with pytest.raises(UnknownValidator):
        journal(tmp_path, address)
    with pytest.raises(UnknownValidator):
        audit_tail(tmp_path, address)


def test_label_files_are_served_only_by_their_two_names(tmp_path: Path) -> None:
    folder = tmp_path / "validator" / ADDRESS / "labels" / "epoch-3"
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(json.dumps({"contributors": [{"id": "ab", "bps": 10}]}))
    (folder / "label.png").write_bytes(b"\x89PNG")
    (folder / "secret.txt").write_text("no")
    assert label_file(tmp_path, ADDRESS, 3, "label.png") == folder / "label.png"
    for name in ("secret.txt", "../epoch-3/report.json", "report.json/"):
        with pytest.raises(InputError):
            label_file(tmp_path, ADDRESS, 3, name)
    with pytest.raises(InputError):
        label_file(tmp_path, ADDRESS, 4, "label.png")
    (found,) = labels(tmp_path)[3]
    assert found.has_png
    assert found.contributors == [{"id": "ab", "bps": 10}]


def test_the_audit_tail_is_newest_first_and_skips_torn_lines(tmp_path: Path) -> None:
    root = tmp_path / "validator" / ADDRESS
    root.mkdir(parents=True)
    lines = [json.dumps({"seq": i, "ts": 1.0, "event": "served", "file": f"f{i}"}) for i in (1, 2)]
    deep = "[" * 200_000
    (root / "audit.jsonl").write_text("\n".join([deep, *lines, '{"seq": 3, "ev']) + "\n")
    tail = audit_tail(tmp_path, ADDRESS)
    assert [a.seq for a in tail] == [2, 1]
    assert tail[0].fields == {"file": "f2"}


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../.bashrc", "bashrc"),
        ("C:\\Users\\me\\Downloads\\chatgpt.zip", "chatgpt.zip"),
        ("/etc/passwd", "passwd"),
        ("..", "export"),
        (None, "export"),
        ("a\x00b<script>.json", "a_b_script_.json"),
    ],
)
def test_an_upload_keeps_only_a_plain_last_name(given: str | None, kept: str) -> None:
    assert safe_name(given) == kept


def test_the_same_export_twice_is_one_upload_and_a_large_one_is_not_kept(tmp_path: Path) -> None:
    store = UploadStore(tmp_path / "uploads")
    first = store.save([b"abc", b"def"], "a.json", max_bytes=10)
    again = store.save([b"abcdef"], "other-name.json", max_bytes=10)
    assert again.path == first.path
    assert first.path.read_bytes() == b"abcdef"
    assert first.path.parent.parent == tmp_path / "uploads"
    with pytest.raises(UploadTooLarge):
        store.save([b"x" * 6, b"y" * 6], "big.json", max_bytes=10)
    assert [u.id for u in store.list()] == [first.id]
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == [first.id]
    for bad in ("../uploads", first.id.upper(), first.id + "0", ""):
        with pytest.raises(UnknownUpload):
            store.get(bad)


def test_a_failed_job_reports_in_words_and_a_second_of_a_kind_waits() -> None:
    board = JobBoard()
    gate = threading.Event()

    def slow(job: Job) -> dict[str, object]:
        job.step("seal", 1, 2)
        gate.wait(10)
        raise StorageError("the blockstore is full")

    job = board.start("contribution", "t", slow)
    with pytest.raises(JobBusy):
        board.start("contribution", "t2", lambda j: {})
    gate.set()
    while not job.finished:
        job.wait_change(job.version, 1.0)
    snap = job.snapshot()
    assert snap["status"] == "failed"
    assert snap["error"] == "the blockstore is full"
    assert snap["steps"] == {"seal": {"done": 1, "total": 2}}
    empty: dict[str, dict[str, Any]] = {}
    bug = board.start("contribution", "t3", lambda j: empty["missing"])
    while not bug.finished:
        bug.wait_change(bug.version, 1.0)
    assert bug.error == "unexpected error (KeyError); see the app's log"
