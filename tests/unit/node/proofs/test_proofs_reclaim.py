"""The ``reclaim`` method: attestor-signed claims in Reclaim's format, hostile cases first.

Attestors are eth_account keys; the test policy pins two of them (devnet labels ``a``/``b``)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest
from eth_account import Account

from node.proofs.base import ProofSubject
from node.proofs.devkeys import DEV_PROVIDER_HASH, attestor_key, dev_policy
from node.proofs.params import ProofPolicy
from node.proofs.reclaim import ClaimInfo, ReclaimVerifier, claim_identifier, sign_claim

CONTRIBUTOR = Account.from_key(b"\x07" * 32).address
OTHER = Account.from_key(b"\x08" * 32).address
COMMITMENT = b"\xab" * 32
POLICY = dev_policy()
verifier = ReclaimVerifier()
SUBJECT = ProofSubject(
    platform="twitter",
    account="alice_x",
    email="alice@example.org",
    export_commitment=COMMITMENT,
    newest=datetime(2025, 3, 1, tzinfo=UTC),
)


def context(**over: object) -> str:
    ctx: dict[str, object] = {
        "contextAddress": CONTRIBUTOR,
        "contextMessage": "0x" + COMMITMENT.hex(),
        "providerHash": DEV_PROVIDER_HASH,
        "extractedParameters": {"username": "alice_x"},
    }
    ctx.update(over)
    return json.dumps(ctx, sort_keys=True)


def proof(ctx: str | None = None, signers: tuple[str, ...] = ("a",)) -> bytes:
    info = ClaimInfo("http", json.dumps({"url": "https://x.test/settings"}), ctx or context())
    return sign_claim(
        info,
        owner=CONTRIBUTOR,
        timestamp_s=1_740_000_000,
        epoch=1,
        attestor_keys=[attestor_key(s) for s in signers],
    )


def verify(data: bytes, contributor: str = CONTRIBUTOR, policy: ProofPolicy = POLICY) -> str:
    verdict = verifier.verify(SUBJECT, data, contributor, policy)
    assert verdict.method == "reclaim"
    return verdict.status + (": " + verdict.reason if verdict.reason else "")


# --- hostile --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "junk",
    [
        b"",
        b"\xff\xfe",
        b"[]",
        b'{"claimData": 1}',
        b'{"claimData": {"provider": 1}}',
        b"[" * 100_000,
        b'{"a": "' + b'\\"' * 100_000,
        b'{"claimData": {"provider": "p", "parameters": "{}", "context": "'
        + b"[" * 100_000
        + b'"}}',
        b'{"claimInfo": {}, "signedClaim": {"claim": {}, "signatures": []}}',
    ],
)
def test_malformed_proof_is_not_verified_never_a_crash(junk: bytes) -> None:
    assert verify(junk).startswith("not_verified")


def mutate(data: bytes, **claim: object) -> bytes:
    raw = json.loads(data)
    raw["claimData"].update(claim)
    return json.dumps(raw).encode()


@pytest.mark.parametrize(
    "bad",
    [
        {"timestampS": -1},
        {"timestampS": True},
        {"epoch": "1"},
        {"owner": "0x12"},
        {"identifier": "0x" + "zz" * 32},
    ],
)
def test_ill_typed_claim_fields_are_refused(bad: dict[str, object]) -> None:
    assert verify(mutate(proof(), **bad)).startswith("not_verified")


@pytest.mark.parametrize("sig", ["0x" + "00" * 65, "0x" + "ff" * 65, "0x12", 7])
def test_unrecoverable_or_malformed_signature_is_refused(sig: object) -> None:
    raw = json.loads(proof())
    raw["signatures"] = [sig]
    assert verify(json.dumps(raw).encode()).startswith("not_verified")


def test_claim_for_another_address_is_refused() -> None:
    assert "another contributor address" in verify(proof(context(contextAddress=OTHER)))
    # …and a valid claim for us cannot be used by someone else either.
    assert "another contributor address" in verify(proof(), contributor=OTHER)


def test_proof_lifted_from_another_contribution_is_refused() -> None:
    other_file = context(contextMessage="0x" + ("cd" * 32))
    assert "commitment mismatch" in verify(proof(other_file))


def test_attestor_outside_the_pinned_set_is_refused() -> None:
    assert "outside the pinned attestor set" in verify(proof(signers=("stranger",)))
    # one pinned and one outsider: still refused (the set vouches, not any member plus anyone)
    assert "outside the pinned attestor set" in verify(proof(signers=("a", "stranger")))


def test_threshold_of_pinned_attestors_is_enforced() -> None:
    two = dataclasses.replace(POLICY, attestor_threshold=2)
    assert "2 needed" in verify(proof(signers=("a",)), policy=two)
    assert "2 needed" in verify(proof(signers=("a", "a")), policy=two)
    assert verify(proof(signers=("a", "b")), policy=two) == "verified"


def test_altered_claim_content_is_refused() -> None:
    raw = json.loads(proof())
    raw["claimData"]["context"] = context(contextAddress=OTHER)
    assert "identifier does not match" in verify(json.dumps(raw).encode(), contributor=OTHER)


def test_resigned_identifier_by_an_outsider_is_refused() -> None:
    # Altering the content and recomputing the identifier needs a fresh signature.
    forged = proof(context(contextAddress=OTHER), signers=("mallory",))
    assert "outside the pinned" in verify(forged, contributor=OTHER)


def test_provider_not_pinned_for_the_platform_is_refused() -> None:
    assert "not pinned for twitter" in verify(proof(context(providerHash="0x" + "00" * 32)))


def test_claim_about_another_account_is_refused() -> None:
    ctx = context(extractedParameters={"username": "someone_else"})
    assert "another account" in verify(proof(ctx))
    ctx = context(extractedParameters={"email": "bob@example.org"})
    assert "another account e-mail" in verify(proof(ctx))
    assert "names no account" in verify(proof(context(extractedParameters={})))


def test_no_pinned_attestors_is_not_applicable() -> None:
    assert verify(proof(), policy=ProofPolicy()).startswith("not_applicable")


# --- happy ----------------------------------------------------------------------------------


def test_valid_claim_verifies() -> None:
    assert verify(proof()) == "verified"
    ctx = context(extractedParameters={"email": "ALICE@example.org"})
    assert verify(proof(ctx)) == "verified"
    assert verify(proof(), contributor=CONTRIBUTOR.lower()) == "verified"


def test_attestor_core_shape_verifies_too() -> None:
    raw = json.loads(proof())
    data = raw["claimData"]
    core = {
        "claimInfo": {k: data[k] for k in ("provider", "parameters", "context")},
        "signedClaim": {
            "claim": {k: data[k] for k in ("identifier", "owner", "timestampS", "epoch")},
            "signatures": raw["signatures"],
        },
    }
    assert verify(json.dumps(core).encode()) == "verified"


def test_identifier_is_keccak_of_the_claim_info() -> None:
    info = ClaimInfo("http", "{}", "")
    assert claim_identifier(info) == (
        "0x" + __import__("eth_hash.auto").auto.keccak(b"http\n{}\n").hex()
    )
    assert claim_identifier(info) != claim_identifier(ClaimInfo("http", "{}", " "))


def test_sniff() -> None:
    assert verifier.sniff(proof())
    assert not verifier.sniff(b"From: a@b\r\n\r\n")
