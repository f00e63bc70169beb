"""The web app's ownership proofs (issue #20): the contribute flow takes a proof file, the
preview says whether it would verify (the same verifiers and pinned policy as ``datadao inspect
--proof``), contributing seals it, and the app keeps the verdict it checked for the file list.
Hostile uploads first: nothing a proof file holds breaks a page or reaches the pipeline."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from node.parsers import parse_export
from node.parsers.base import MAX_PROOF_BYTES
from node.parsers.synthetic import chatgpt_export
from node.pipeline import ContributionOutcome
from node.proofs.base import Verdict
from node.proofs.devkeys import dev_export_email
from node.ui.proofs import MAX_ENTRIES, ProofLog
from tests.unit.node.ui.conftest import Ui

FILE_ID = "0x" + "ab" * 32


@pytest.fixture
def export(tmp_path: Path) -> tuple[Path, str, bytes]:
    """A small ChatGPT export, the platform's e-mail to its account, and one to someone else."""
    made = chatgpt_export(tmp_path / "chatgpt.zip", seed=11, size_bytes=8 * 1024)
    span = parse_export(made.path, platform="chatgpt").time_span()
    assert span is not None
    assert made.email is not None
    mine = dev_export_email(made.email, span[1] + timedelta(hours=1))
    return made.path, mine.decode(), dev_export_email("thief@example.org", span[1])


def _upload(ui: Ui, path: Path, proof: bytes | None, name: str = "ready.eml") -> Any:
    files: dict[str, Any] = {"export": (path.name, path.read_bytes())}
    if proof is not None:
        files["proof"] = (name, proof)
    return ui.client.post(
        "/contribute/upload",
        files=files,
        data={"platform": "chatgpt", "scrub": "1", "csrf_token": ui.csrf},
        follow_redirects=False,
    )


def _kept(root: Path) -> list[Path]:
    return [p for p in root.iterdir() if p.is_dir()] if root.exists() else []


# ---------------------------------------------------------------------- hostile first


def test_an_oversized_proof_is_refused_and_nothing_is_kept(ui: Ui, export: Any) -> None:
    ui.login()
    r = _upload(ui, export[0], b"D" * (MAX_PROOF_BYTES + 1))
    assert r.status_code == 413
    assert _kept(ui.home / "ui" / "proofs") == []
    assert _kept(ui.home / "ui" / "uploads") == []


@pytest.mark.parametrize(
    "junk", [b"\x00\xff" * 100, b"", b"DKIM-Signature: v=1; garbage\r\n\r\n", b'{"claimData": 1}']
)
def test_a_junk_proof_is_a_message_on_the_preview_never_a_crash(
    ui: Ui, export: Any, junk: bytes
) -> None:
    ui.login()
    r = _upload(ui, export[0], junk)
    assert r.status_code == 303
    page = ui.client.get(r.headers["location"])
    assert page.status_code == 200
    text = page.text
    assert "proof" in text
    assert "dkim: verified" not in text
    if b"DKIM" in junk or b"claimData" in junk:  # recognised, then refused by the verifier
        assert "not verified" in text
    else:  # no method recognises it: the reader's refusal, in words
        assert "empty" in text or "not recognised" in text


@pytest.mark.parametrize("proof", ["0" * 32, "../../node", "%2E%2E", "0" * 31])
def test_an_unknown_or_crafted_proof_id_reaches_no_file(ui: Ui, export: Any, proof: str) -> None:
    ui.login()
    r = _upload(ui, export[0], None)
    page = ui.client.get(r.headers["location"] + f"&proof={proof}")
    assert page.status_code == 404


def test_contributing_with_a_bad_proof_id_sends_nothing(ui: Ui, export: Any) -> None:
    ui.login()
    upload_id = _upload(ui, export[0], None).headers["location"].split("/")[-1].split("?")[0]
    for proof in ("../../etc/passwd", "f" * 32):
        r = ui.client.post(
            "/contribute/start",
            data={"upload_id": upload_id, "proof": proof, "csrf_token": ui.csrf},
        )
        assert "no such upload" in r.text
    assert ui.spies.calls == []


def test_the_proof_log_reads_a_corrupt_or_hostile_file_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "proofs.json"
    log = ProofLog(path)
    assert log.get(FILE_ID) is None  # no file yet
    for junk in ("{not json", "[1, 2]", "[" * 100_000, json.dumps({FILE_ID: "dkim"})):
        path.write_text(junk)
        assert log.get(FILE_ID) is None
    shapes = [{"method": "dkim", "status": "owned"}, {"status": "verified"}, 7, {"method": 1}]
    path.write_text(json.dumps({FILE_ID: [*shapes, {"method": "dkim", "status": "verified"}]}))
    status = log.get(FILE_ID)
    assert status is not None
    assert status.verdicts == (Verdict("dkim", "verified"),)
    log.record("../../x", [Verdict("dkim", "verified")])  # not a file id: ignored
    assert set(json.loads(path.read_text())) == {FILE_ID}


def test_the_proof_log_keeps_the_newest_entries_only(tmp_path: Path) -> None:
    path = tmp_path / "proofs.json"
    path.write_text(json.dumps({f"0x{i:064x}": [] for i in range(MAX_ENTRIES)}))
    log = ProofLog(path)
    log.record(FILE_ID, [Verdict.refused("dkim", "stale")])
    kept = json.loads(path.read_text())
    assert len(kept) == MAX_ENTRIES
    assert f"0x{0:064x}" not in kept
    status = log.get(FILE_ID)
    assert status is not None
    assert status.words() == "dkim: not verified (stale)"
    assert not status.verified


# ---------------------------------------------------------------------- the flow


def test_the_preview_says_the_owners_proof_verifies(ui: Ui, export: Any) -> None:
    ui.login()
    r = _upload(ui, export[0], export[1].encode())
    assert "&proof=" in r.headers["location"]
    page = ui.client.get(r.headers["location"]).text
    assert 'data-status="verified"' in page
    assert "dkim: verified" in page
    assert 'name="proof" value="' in page  # the contribute form carries it
    assert "keep 50%" not in page  # a verified proof: the unproven policy does not apply


def test_the_preview_says_a_proof_for_another_mailbox_does_not_verify(ui: Ui, export: Any) -> None:
    ui.login()
    page = ui.client.get(_upload(ui, export[0], export[2]).headers["location"]).text
    assert 'data-status="not_verified"' in page
    assert "sent to another address than the export" in page
    assert "unproven files keep 50% of their value" in page  # the devnet's pinned policy


def test_without_a_proof_the_preview_states_the_policy(ui: Ui, export: Any) -> None:
    ui.login()
    page = ui.client.get(_upload(ui, export[0], None).headers["location"]).text
    assert 'data-status="none"' in page
    assert "unproven files keep 50% of their value" in page
    assert 'name="proof"' not in page.split('action="/contribute/start"')[1]


def test_contributing_seals_the_proof_and_keeps_its_verdict(
    ui: Ui, export: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from node.services import contributor

    seen: list[dict[str, Any]] = []

    def fake(node: Any, path: Path, **kwargs: Any) -> Any:
        seen.append(kwargs)
        sub = SimpleNamespace(
            id=1, platform="chatgpt", records=3, file_id=FILE_ID, cid="bafy", epoch=1,
            block_number=9, tx_hash="0x01",
        )  # fmt: skip
        return SimpleNamespace(outcome=ContributionOutcome.SUBMITTED, submission=sub)

    monkeypatch.setattr(contributor, "contribute", fake)
    ui.login()
    location = _upload(ui, export[0], export[1].encode()).headers["location"]
    upload_id = location.split("/")[-1].split("?")[0]
    proof_id = location.split("proof=")[1]
    r = ui.client.post(
        "/contribute/start",
        data={"upload_id": upload_id, "proof": proof_id, "scrub": "1", "csrf_token": ui.csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    log = ProofLog(ui.home / "ui" / "proofs.json")
    for _ in range(400):  # the job runs in a thread: wait for it to record (bounded)
        if log.get(FILE_ID) is not None:
            break
        time.sleep(0.05)
    (kwargs,) = seen
    (proof,) = kwargs["proofs"]
    assert proof.method == "dkim"
    assert proof.data == export[1].encode()
    status = log.get(FILE_ID)
    assert status is not None
    assert status.words() == "dkim: verified"
