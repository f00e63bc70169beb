"""``datadao inspect --proof``: bad proof files are refused before parsing; good ones are
checked with the validators' verifiers against the dataset's pinned policy (``--spec``)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_account import Account

from node.cli.exit_codes import ExitCode
from node.cli.main import cli
from node.parsers.base import MAX_PROOF_BYTES
from node.parsers.canonical import canonicalize
from node.parsers.registry import parse_export
from node.parsers.scrub import scrub_export
from node.parsers.synthetic import chatgpt_export, synthetic_email
from node.proofs.devkeys import DEV_PROVIDER_HASH, attestor_key, dev_export_email, dev_policy
from node.proofs.reclaim import ClaimInfo, sign_claim

ME = Account.from_key(b"\x05" * 32).address


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["inspect", *args])
    return result.exit_code, result.output


@pytest.fixture
def export(tmp_path: Path) -> Path:
    return chatgpt_export(tmp_path / "c.zip", seed=9, conversations=3).path


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({"proofs": dev_policy().to_dict()}))
    return path


def newest(path: Path) -> datetime:
    span = parse_export(path).time_span()
    assert span is not None
    return span[1]


def test_missing_empty_huge_or_unknown_proof_files_are_bad_input(
    tmp_path: Path, export: Path
) -> None:
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    huge = tmp_path / "huge.eml"
    huge.write_bytes(b"DKIM-Signature: x\r\n" + b"a" * MAX_PROOF_BYTES)
    odd = tmp_path / "odd.bin"
    odd.write_bytes(b"\x00\x01 nothing anyone recognises")
    for bad in (tmp_path / "nope.eml", empty, huge, odd, tmp_path):
        code, out = run(str(export), "--proof", str(bad))
        assert code == ExitCode.INPUT, out
        assert "proof" in out


def test_without_proof_inspect_says_none_is_attached(export: Path) -> None:
    code, out = run(str(export))
    assert code == 0, out
    assert "none attached" in out
    code, out = run(str(export), "--json")
    summary = json.loads(out)
    assert summary["proofs"] == []
    assert summary["email"] == synthetic_email(9)


def test_a_valid_dkim_proof_would_verify(tmp_path: Path, export: Path, spec: Path) -> None:
    eml = tmp_path / "ready.eml"
    eml.write_bytes(dev_export_email(synthetic_email(9), newest(export) + timedelta(hours=1)))
    code, out = run(str(export), "--proof", str(eml), "--spec", str(spec), "--json")
    assert code == 0, out
    summary = json.loads(out)
    assert summary["proofs"] == [{"method": "dkim", "status": "verified", "reason": ""}]
    plain = canonicalize(scrub_export(parse_export(export))).commitment_hex
    assert summary["content_commitment"] != plain  # the proof is sealed with the export
    code, out = run(str(export), "--proof", f"dkim:{eml}", "--spec", str(spec))
    assert "dkim: verified" in out


def test_someone_elses_email_would_not_verify(tmp_path: Path, export: Path, spec: Path) -> None:
    eml = tmp_path / "theirs.eml"
    eml.write_bytes(dev_export_email("bob@example.org", newest(export)))
    code, out = run(str(export), "--proof", str(eml), "--spec", str(spec), "--json")
    assert code == 0, out
    (verdict,) = json.loads(out)["proofs"]
    assert verdict["status"] == "not_verified"
    assert "another address" in verdict["reason"]


def test_reclaim_claim_is_checked_for_the_given_contributor(
    tmp_path: Path, export: Path, spec: Path
) -> None:
    commitment = canonicalize(scrub_export(parse_export(export))).commitment_hex
    context = {
        "contextAddress": ME,
        "contextMessage": commitment,
        "providerHash": DEV_PROVIDER_HASH,
        "extractedParameters": {"email": synthetic_email(9)},
    }
    claim = sign_claim(
        ClaimInfo("http", "{}", json.dumps(context)),
        owner=ME,
        timestamp_s=1,
        epoch=1,
        attestor_keys=[attestor_key("a")],
    )
    path = tmp_path / "claim.json"
    path.write_bytes(claim)
    args = (str(export), "--proof", str(path), "--spec", str(spec), "--json")
    _, out = run(*args, "--contributor", ME)
    assert json.loads(out)["proofs"][0]["status"] == "verified", out
    _, out = run(*args)  # no address given: the claim names another one
    assert json.loads(out)["proofs"][0]["status"] == "not_verified"
