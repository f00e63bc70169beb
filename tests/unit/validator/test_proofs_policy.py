"""The validator's proof policy: verdicts from sealed bytes, the pinned policy applied the same way
by every validator, lifted proofs refused, and the label's counts by method. Hostile first."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from eth_account import Account

from node.parsers.base import AttachedProof, ParsedExport, Record
from node.parsers.canonical import canonicalize
from node.proofs.devkeys import dev_export_email, dev_policy
from node.proofs.params import ProofPolicy, ProofPolicyError
from node.types import Bps
from validator.proofs import apply_proof_policy, judge_file
from validator.valuation.errors import SpecError
from validator.valuation.spec import ValuationSpec

T = datetime(2025, 2, 1, tzinfo=UTC)
ALICE, BOB = Account.from_key(b"\x0a" * 32).address, Account.from_key(b"\x0b" * 32).address


def export(email: str, text: str, proofs: tuple[AttachedProof, ...] = ()) -> bytes:
    parsed = ParsedExport(
        platform="chatgpt",
        account=None,
        records=(Record("r", T, "message", text),),
        email=email,
        proofs=proofs,
    )
    return canonicalize(parsed).data


def dkim(to: str) -> AttachedProof:
    return AttachedProof("dkim", dev_export_email(to, T + timedelta(hours=1)))


@pytest.mark.parametrize(
    "plaintext", [b"", b"\xff" * 10, b'{"format":"datadao.export/1"}\n', b"[" * 50_000 + b"\n"]
)
def test_unreadable_files_are_unproven_not_a_crash(plaintext: bytes) -> None:
    assert judge_file(plaintext, ALICE, dev_policy()).method is None


def test_policy_zero_and_factor_and_the_label() -> None:
    files = {
        "aa": export("alice@example.org", "alice writes", (dkim("alice@example.org"),)),
        # Mallory submits Bob's export with Alice's e-mail: lifted, so unproven
        "bb": export("bob@example.org", "bob writes", (dkim("alice@example.org"),)),
        "cc": export("carol@example.org", "carol writes"),
    }
    contributors = {"aa": ALICE, "bb": BOB, "cc": None}
    for policy, expect_bb in (
        (dev_policy(factor_bps=2500), 1000),
        (dev_policy(unproven="zero"), 0),
    ):
        scores = {"aa": Bps(4000), "bb": Bps(4000), "cc": Bps(2000)}
        reasons: dict[str, str] = {}
        label = apply_proof_policy(files, contributors, scores, reasons, policy).to_dict()
        assert scores["aa"] == 4000
        assert scores["bb"] == expect_bb
        assert "another address" in reasons["bb"]
        assert "no ownership proof" in reasons["cc"]
        assert "aa" not in reasons
        assert label["files"] == 3
        assert label["proven_files"] == 1
        assert label["by_method"] == {"dkim": {"files": 1, "value_bps": 4000}}
        assert label["unproven_bps_before_policy"] == 6000
        assert label["unproven_bps_after_policy"] == expect_bb + scores["cc"]


def test_default_policy_changes_nothing_and_keeps_old_spec_digests() -> None:
    assert not ProofPolicy().requires_proof
    assert ProofPolicy().unproven_bps(1234) == 1234
    spec = ValuationSpec()
    assert "proofs" not in spec.canonical_json()
    pinned = dataclasses.replace(spec, proofs=dev_policy())
    assert pinned.digest() != spec.digest()
    assert ValuationSpec.from_json(pinned.canonical_json()) == pinned


@pytest.mark.parametrize(
    "bad",
    [
        {"unproven": "half"},
        {"factor_bps": 10_001},
        {"factor_bps": True},
        {"attestors": ["0x12"]},
        {"attestors": ["0x" + "11" * 20], "attestor_threshold": 2},
        {
            "dkim_keys": [
                {
                    "domain": "EXAMPLE.com",
                    "selector": "s",
                    "public_key": "AA==",
                    "platforms": ["chatgpt"],
                }
            ]
        },
        {
            "dkim_keys": [
                {
                    "domain": "a.test",
                    "selector": "s",
                    "public_key": "not base64!",
                    "platforms": ["chatgpt"],
                }
            ]
        },
        {
            "dkim_keys": [
                {"domain": "a.test", "selector": "s", "public_key": "AA==", "platforms": []}
            ]
        },
        {
            "dkim_keys": [
                {
                    "domain": "a.test",
                    "selector": "s",
                    "public_key": "AA==",
                    "platforms": ["x"],
                    "not_before": 5,
                    "not_after": 5,
                }
            ]
        },
        {"dkim_keys": "nope"},
        {"typo": 1},
    ],
)
def test_malformed_pinned_parameters_are_spec_errors(bad: dict[str, object]) -> None:
    with pytest.raises(ProofPolicyError):
        ProofPolicy.from_dict(bad)
    with pytest.raises(SpecError):
        ValuationSpec.from_dict({"proofs": bad})
