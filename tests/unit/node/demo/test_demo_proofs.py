"""The demo's proof check (issue #20) against what the real valuation engine and proof policy
produce for the demo's seven exports: it passes on the validators' actual output, and it fails
on every way a validator (or the demo's own data) could get the policy wrong."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from node.chain.anvil import devnet_account
from node.demo.data import ContributorKind, DemoExport, make_exports
from node.demo.proofs import check_proofs, judge
from node.demo.stages import ContributorOutcome, DemoCheckFailed
from node.devnet.validation import SPEC_FILE, synthetic_validation_set
from node.parsers import canonicalize, parse_export, scrub_export
from node.proofs.attach import policy_from_spec
from node.proofs.params import ProofPolicy
from node.protocol.scorevector import UNITS
from validator.daemon.scoring import FileInput, score_epoch
from validator.valuation.backends import LocalBackend
from validator.valuation.report import report_dict
from validator.valuation.spec import ValuationSpec

POLICY = policy_from_spec(SPEC_FILE)


@dataclasses.dataclass
class Epoch:
    exports: list[DemoExport]
    outcomes: list[ContributorOutcome]
    journal: dict[str, Any]
    report: dict[str, Any]
    after_bps: dict[str, int]

    def outcome(self, name: str) -> ContributorOutcome:
        return next(o for o in self.outcomes if o.name == name)

    def index(self, name: str) -> int:
        return [_key(f) for f in self.journal["file_ids"]].index(self.outcome(name).file_key)


def _key(f: str) -> str:
    return f.removeprefix("0x").lower()


@pytest.fixture(scope="module")
def epoch(tmp_path_factory: pytest.TempPathFactory) -> Epoch:
    """The demo's exports sealed as contribute_all seals them, scored by the validator's
    ``score_epoch`` with the devnet spec; journal and report.json as the daemon writes them."""
    tmp = tmp_path_factory.mktemp("demo-proofs")
    validation = synthetic_validation_set().data
    (tmp / "validation.jsonl").write_bytes(validation)
    exports = make_exports(tmp / "exports", seed=3, validation_plaintext=tmp / "validation.jsonl")
    outcomes, inputs = [], []
    for e in exports:
        parsed = scrub_export(parse_export(e.path, platform=e.platform))
        canonical = canonicalize(dataclasses.replace(parsed, proofs=e.proofs))
        fid = hashlib.sha256(e.name.encode()).digest()
        address = devnet_account(e.account_index).address
        outcomes.append(
            ContributorOutcome(
                name=e.name,
                kind=e.kind.value,
                platform=e.platform,
                address=address,
                export=e.path,
                file_id="0x" + fid.hex(),
                canonical=canonical.data,
            )
        )
        inputs.append(FileInput(fid, canonical.data, contributor=address))
    spec = ValuationSpec.from_json(SPEC_FILE.read_text())
    scores = score_epoch(inputs, validation, spec, b"\x07" * 32, LocalBackend("cpu", 1))
    assert scores.result is not None
    assert scores.proofs is not None
    journal = {  # the daemon's journal v2: nano units of the pool per file
        "file_ids": [f.hex() for f in scores.file_ids],
        "units": [int(u) for u in scores.units],
        "reasons": dict(scores.reasons),
    }
    assert sum(int(u) for u in scores.units) == UNITS
    report = report_dict(scores.result)
    report["proofs"] = scores.proofs  # the label's proof section (validator/proofs.py)
    after = {f.hex(): int(b) for f, b in zip(scores.file_ids, scores.scores_bps, strict=True)}
    return Epoch(exports, outcomes, json.loads(json.dumps(journal)), report, after)


def _judge(e: Epoch, **over: Any) -> Any:
    args: dict[str, Any] = {
        "journal": e.journal,
        "report": e.report,
        "exports": e.exports,
        "outcomes": e.outcomes,
        "policy": POLICY,
    }
    args.update(over)
    return judge(args["journal"], args["report"], args["exports"], args["outcomes"], args["policy"])


def _with_score(e: Epoch, name: str, bps: int) -> dict[str, Any]:
    """The journal with ``name`` committed at ``bps`` of the after-policy values' sum (the
    units the check reads back as those basis points)."""
    journal = copy.deepcopy(e.journal)
    whole = sum(e.after_bps.values())
    journal["units"][e.index(name)] = bps * UNITS // whole
    return journal


# ---------------------------------------------------------------------- hostile first


def test_a_proven_contributor_paid_less_than_its_value_fails(epoch: Epoch) -> None:
    alice = epoch.outcome("alice")
    value = next(r["bps"] for r in epoch.report["contributors"] if r["id"] == alice.file_key)
    with pytest.raises(DemoCheckFailed, match="alice is proven by dkim"):
        _judge(epoch, journal=_with_score(epoch, "alice", POLICY.unproven_bps(value)))


def test_the_thief_paid_in_full_fails(epoch: Epoch) -> None:
    trent = epoch.outcome("trent")
    value = next(r["bps"] for r in epoch.report["contributors"] if r["id"] == trent.file_key)
    with pytest.raises(DemoCheckFailed, match="trent is unproven: expected"):
        _judge(epoch, journal=_with_score(epoch, "trent", value))


def test_a_thief_worth_nothing_shows_nothing(epoch: Epoch) -> None:
    report = copy.deepcopy(epoch.report)
    for r in report["contributors"]:
        if r["id"] == epoch.outcome("trent").file_key:
            r["bps"] = 0
    with pytest.raises(DemoCheckFailed, match="no value before the policy"):
        _judge(epoch, report=report, journal=_with_score(epoch, "trent", 0))


def test_a_reduced_score_without_the_proof_reason_fails(epoch: Epoch) -> None:
    journal = copy.deepcopy(epoch.journal)
    journal["reasons"].pop(epoch.outcome("trent").file_key)
    with pytest.raises(DemoCheckFailed, match="gives no proof reason"):
        _judge(epoch, journal=journal)


def test_an_honest_file_sealed_without_its_proof_fails(epoch: Epoch) -> None:
    alice = epoch.outcome("alice")
    bare = canonicalize(scrub_export(parse_export(alice.export, platform="chatgpt"))).data
    outcomes = [dataclasses.replace(o, canonical=bare) if o is alice else o for o in epoch.outcomes]
    with pytest.raises(DemoCheckFailed, match="does not carry its proofs"):
        _judge(epoch, outcomes=outcomes)


def test_an_honest_proof_checked_for_another_address_fails(epoch: Epoch) -> None:
    carol = epoch.outcome("carol")  # her Reclaim claim names her address
    moved = dataclasses.replace(carol, address=devnet_account(1).address)
    outcomes = [moved if o is carol else o for o in epoch.outcomes]
    with pytest.raises(DemoCheckFailed, match="carol's ownership proof does not verify"):
        _judge(epoch, outcomes=outcomes)


def test_a_thief_whose_proof_verifies_fails(epoch: Epoch) -> None:
    """If the demo's thief were given the victim's own e-mail, it would verify: the check says
    the demo no longer shows an unproven export."""
    exports = [
        dataclasses.replace(e, kind=ContributorKind.THIEF) if e.name == "alice" else e
        for e in epoch.exports
    ]
    with pytest.raises(DemoCheckFailed, match="alice submitted another's export and it verified"):
        _judge(epoch, exports=exports)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("proven_files", 2),
        ("unproven_bps_after_policy", 0),
        ("by_method", {"dkim": {"files": 3, "value_bps": 1}}),
        ("files", 99),
    ],
)
def test_label_counts_that_do_not_add_up_fail(epoch: Epoch, field: str, value: object) -> None:
    report = copy.deepcopy(epoch.report)
    report["proofs"][field] = value
    with pytest.raises(DemoCheckFailed, match=f"proof counts are wrong: {field}"):
        _judge(epoch, report=report)


@pytest.mark.parametrize(
    "journal",
    [{}, {"file_ids": ["00"], "units": []}, {"file_ids": "x", "units": [1]}],
)
def test_a_journal_without_scores_fails(epoch: Epoch, journal: dict[str, Any]) -> None:
    with pytest.raises(DemoCheckFailed, match="no per-file units"):
        _judge(epoch, journal=journal)


def test_a_journal_missing_a_file_fails(epoch: Epoch) -> None:
    journal = copy.deepcopy(epoch.journal)
    i = epoch.index("bob")
    del journal["file_ids"][i], journal["units"][i]
    with pytest.raises(DemoCheckFailed, match="does not list bob's file"):
        _judge(epoch, journal=journal)


def test_a_policy_that_requires_nothing_shows_nothing(epoch: Epoch) -> None:
    with pytest.raises(DemoCheckFailed, match="requires nothing"):
        _judge(epoch, policy=ProofPolicy())


def test_no_validator_files_fail(tmp_path: Path, epoch: Epoch) -> None:
    with pytest.raises(DemoCheckFailed, match="wrote both its journal and its nutrition label"):
        check_proofs(tmp_path, ["0xV"], 4, 1, epoch.exports, epoch.outcomes)


# ---------------------------------------------------------------------- the demo's epoch


def test_the_policy_is_applied_to_the_proven_and_the_thief(epoch: Epoch) -> None:
    check = _judge(epoch)
    rows = {r.name: r for r in check.rows}
    assert rows["alice"].method == "dkim"
    assert rows["bob"].method == "dkim"
    assert rows["carol"].method == "reclaim"
    for name in ("alice", "bob", "carol"):
        assert abs(rows[name].score_bps - rows[name].value_bps) <= 1  # paid in full
        assert rows[name].after_bps == rows[name].value_bps > 0
    trent = rows["trent"]
    assert trent.method is None
    assert "sent to another address than the export's account" in trent.verdicts[0]
    assert 0 < trent.after_bps == trent.value_bps * 5000 // 10_000 < trent.value_bps
    assert abs(trent.score_bps - trent.after_bps) <= 1
    assert trent.reason.startswith("ownership proof dkim: not verified")
    for name in ("dave", "erin", "frank"):  # flagged before the policy: 0 either way
        assert rows[name].method is None
        assert rows[name].score_bps == 0
    assert check.policy == "unproven files keep 50% of their value"
    assert check.label is not None
    assert check.label["proven_files"] == 3
    assert json.loads(json.dumps(check.as_json()))["contributors"][6]["proven_by"] is None


def test_check_proofs_reads_the_first_validator_with_both_files(
    tmp_path: Path, epoch: Epoch
) -> None:
    done = tmp_path / "validator" / "0xB"
    (done / "journal").mkdir(parents=True)
    (done / "journal" / "1-4.json").write_text(json.dumps(epoch.journal))
    (done / "labels" / "epoch-4").mkdir(parents=True)
    (done / "labels" / "epoch-4" / "report.json").write_text(json.dumps(epoch.report))
    half = tmp_path / "validator" / "0xA" / "journal"  # a journal but no label yet
    half.mkdir(parents=True)
    (half / "1-4.json").write_text("{not json")
    check = check_proofs(tmp_path, ["0xA", "0xB"], 4, 1, epoch.exports, epoch.outcomes)
    assert check.validator == "0xB"
    assert {r.name for r in check.rows} == {e.name for e in epoch.exports}
