"""``datadao validator audit verify``: the command an operator (or a monitor) runs on the log."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from web3 import Web3

from node.cli.exit_codes import ExitCode
from node.cli.main import cli
from validator.shares.audit import AuditEvent, AuditLog
from validator.shares.serve import default_audit_path

ME = Web3.to_checksum_address("0x" + "ab" * 20)


def _write(path: Path, n: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    log = AuditLog(path)
    for i in range(n):
        log.record(AuditEvent(validator=ME, decision="refused", reason=f"r{i}", req_id=i))
    log.close()


def test_a_removed_line_fails_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    _write(path, 4)
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:1] + lines[2:]))
    result = CliRunner().invoke(cli, ["validator", "audit", "verify", str(path)])
    assert result.exit_code == ExitCode.INPUT
    assert "line 2" in result.output
    assert "Traceback" not in result.output


def test_missing_file_and_missing_target_are_clear_errors(tmp_path: Path) -> None:
    gone = CliRunner().invoke(cli, ["validator", "audit", "verify", str(tmp_path / "nope")])
    assert gone.exit_code == ExitCode.INPUT
    assert "no audit log" in gone.output
    neither = CliRunner().invoke(cli, ["validator", "audit", "verify"])
    assert neither.exit_code == ExitCode.CONFIG


def test_the_default_file_of_a_validator_verifies_with_its_head(tmp_path: Path) -> None:
    path = default_audit_path(tmp_path, ME.lower())
    _write(path, 3)
    argv = ["validator", "audit", "verify", "--home", str(tmp_path), "--validator", ME.lower()]
    text = CliRunner().invoke(cli, argv)
    assert text.exit_code == 0, text.output
    assert "3 lines intact" in text.output
    as_json = CliRunner().invoke(cli, [*argv, "--json"])
    report = json.loads(as_json.stdout)
    assert report["ok"] is True
    assert report["lines"] == 3
    assert report["head"] in text.output
