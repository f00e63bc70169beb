"""The hash-chained audit file: every tamper case is caught at its line, quiet logging keeps it."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from validator.shares.audit import (
    GENESIS,
    AuditError,
    AuditEvent,
    AuditLog,
    verify_audit_log,
)


def _write(path: Path, n: int) -> list[bytes]:
    log = AuditLog(path)
    for i in range(n):
        log.record(AuditEvent(validator="0xV", decision="refused", reason=f"r{i}", req_id=i))
    log.close()
    return path.read_bytes().splitlines(keepends=True)


def test_a_fresh_log_verifies_and_chains_from_genesis(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = _write(path, 5)
    assert len(lines) == 5
    first = json.loads(lines[0])
    assert first["prev"] == GENESIS
    assert first["seq"] == 1
    assert first["reason"] == "r0"
    result = verify_audit_log(path)
    assert result.ok
    assert result.lines == 5
    assert result.first_bad_line is None
    assert result.head != GENESIS


def test_an_empty_log_verifies(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_bytes(b"")
    assert verify_audit_log(path).ok


def _tampered(tmp_path: Path, lines: list[bytes]) -> Path:
    out = tmp_path / "tampered.jsonl"
    out.write_bytes(b"".join(lines))
    return out


def test_a_removed_line_is_reported_where_it_was(tmp_path: Path) -> None:
    lines = _write(tmp_path / "a.jsonl", 6)
    del lines[2]
    result = verify_audit_log(_tampered(tmp_path, lines))
    assert not result.ok
    assert result.first_bad_line == 3
    assert "removed" in (result.reason or "")


def test_a_removed_first_line_is_caught(tmp_path: Path) -> None:
    lines = _write(tmp_path / "a.jsonl", 3)
    assert verify_audit_log(_tampered(tmp_path, lines[1:])).first_bad_line == 1


def test_an_altered_line_is_reported_at_its_number(tmp_path: Path) -> None:
    lines = _write(tmp_path / "a.jsonl", 6)
    lines[3] = lines[3].replace(b'"refused"', b'"served"')
    result = verify_audit_log(_tampered(tmp_path, lines))
    assert result.first_bad_line == 4
    assert "altered" in (result.reason or "")


def test_an_altered_line_with_its_own_hash_recomputed_breaks_the_next_link(
    tmp_path: Path,
) -> None:
    import hashlib

    lines = _write(tmp_path / "a.jsonl", 6)
    obj = json.loads(lines[3])
    obj.pop("sha256")
    obj["decision"] = "served"
    canon = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
    obj["sha256"] = hashlib.sha256(canon).hexdigest()
    lines[3] = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    result = verify_audit_log(_tampered(tmp_path, lines))
    assert result.first_bad_line == 5
    assert "chain" in (result.reason or "")


def test_reordered_lines_are_caught(tmp_path: Path) -> None:
    lines = _write(tmp_path / "a.jsonl", 6)
    lines[1], lines[2] = lines[2], lines[1]
    assert verify_audit_log(_tampered(tmp_path, lines)).first_bad_line == 2


def test_a_line_cut_in_the_middle_is_caught(tmp_path: Path) -> None:
    lines = _write(tmp_path / "a.jsonl", 6)
    lines[2] = lines[2][:40] + b"\n"
    result = verify_audit_log(_tampered(tmp_path, lines))
    assert result.first_bad_line == 3
    assert "JSON" in (result.reason or "")


def test_bytes_cut_across_two_lines_are_caught(tmp_path: Path) -> None:
    data = b"".join(_write(tmp_path / "a.jsonl", 6))
    second = data.index(b"\n") + 1
    out = tmp_path / "cut.jsonl"
    out.write_bytes(data[: second + 30] + data[second + 250 :])
    assert verify_audit_log(out).first_bad_line == 2


def test_a_torn_last_line_is_reported(tmp_path: Path) -> None:
    lines = _write(tmp_path / "a.jsonl", 3)
    lines[2] = lines[2][:-20]
    result = verify_audit_log(_tampered(tmp_path, lines))
    assert result.first_bad_line == 3
    assert "truncated" in (result.reason or "")


def test_garbage_and_foreign_json_are_caught(tmp_path: Path) -> None:
    lines = _write(tmp_path / "a.jsonl", 3)
    for bad in (b"\xff\xfe\x00garbage\n", b"[1, 2]\n", b'{"seq": 2}\n'):
        out = tmp_path / "g.jsonl"
        out.write_bytes(lines[0] + bad + lines[2])
        assert verify_audit_log(out).first_bad_line == 2


def test_a_reopened_log_continues_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    _write(path, 3)
    _write(path, 2)
    result = verify_audit_log(path)
    assert result.ok
    assert result.lines == 5


def test_a_torn_tail_left_by_a_crash_is_set_aside_and_the_chain_continues(
    tmp_path: Path,
) -> None:
    path = tmp_path / "audit.jsonl"
    _write(path, 3)
    with path.open("ab") as fh:
        fh.write(b'{"seq":4,"prev":"ab')  # a write cut by a crash
    _write(path, 2)
    assert verify_audit_log(path).ok
    assert verify_audit_log(path).lines == 5
    assert (tmp_path / "audit.jsonl.torn").read_bytes() == b'{"seq":4,"prev":"ab\n'


def test_a_log_whose_last_line_is_not_a_record_refuses_to_resume(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_bytes(b"not json\n")
    with pytest.raises(AuditError):
        AuditLog(path)


def test_quiet_logging_does_not_drop_the_file(tmp_path: Path) -> None:
    logger = logging.getLogger("test.audit.quiet")
    logger.setLevel(logging.WARNING)  # what --quiet does to the log copy
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, logger=logger)
    log.record(AuditEvent(validator="0xV", decision="served"), durable=True)
    # durable: on disk before record returned, without close()
    assert json.loads(path.read_bytes())["decision"] == "served"
    log.close()
    assert verify_audit_log(path).ok


def test_a_flood_beyond_max_pending_is_counted_not_queued(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, max_pending=5)
    blocker = log._cv  # held by us, the writer cannot take the queue while we flood
    blocker.acquire()
    try:
        # record() takes the same (re-entrant) condition lock: the writer thread stays blocked
        for i in range(50):
            log.record(AuditEvent(validator="0xV", decision="refused", req_id=i))
        assert log.pending() == 5
    finally:
        blocker.release()
    log.close()
    lines = [json.loads(x) for x in path.read_bytes().splitlines()]
    assert len(lines) == 6
    assert lines[-1]["event"] == "audit_overflow"
    assert lines[-1]["dropped"] == 45
    assert verify_audit_log(path).ok


def test_a_durable_record_fails_closed_when_the_file_cannot_be_written(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log._fh.close()  # writes now raise ValueError/OSError in the writer
    with pytest.raises(AuditError):
        log.record(AuditEvent(validator="0xV", decision="served"), durable=True)
