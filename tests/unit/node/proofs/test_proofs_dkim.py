"""The ``dkim`` method: hostile e-mails first, then the happy path.

E-mails are signed with the devnet platform's test key (node/proofs/devkeys.py) pinned in a test
policy; verification never touches DNS (the pinned-key lookup is the only ``dnsfunc``)."""

from __future__ import annotations

import dataclasses
import functools
from datetime import UTC, datetime, timedelta

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from node.proofs.base import ProofSubject
from node.proofs.devkeys import (
    DEV_DKIM_PEM,
    DEV_DOMAIN,
    DEV_SELECTOR,
    dev_dkim_key,
    dev_export_email,
    dev_policy,
)
from node.proofs.dkim import DkimVerifier, sign_email
from node.proofs.params import DkimKey, ProofPolicy

ALICE = "alice@example.org"
CONTRIBUTOR = "0x" + "11" * 20
NEWEST = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SENT = NEWEST + timedelta(hours=2)
POLICY = dev_policy()
verifier = DkimVerifier()


def subject(email: str | None = ALICE, platform: str = "chatgpt") -> ProofSubject:
    return ProofSubject(
        platform=platform,
        account="user-alice",
        email=email,
        export_commitment=b"\x01" * 32,
        newest=NEWEST,
    )


def verify(eml: bytes, subj: ProofSubject | None = None, policy: ProofPolicy = POLICY) -> str:
    verdict = verifier.verify(subj or subject(), eml, CONTRIBUTOR, policy)
    assert verdict.method == "dkim"
    return verdict.status + (": " + verdict.reason if verdict.reason else "")


@functools.cache
def fresh_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


GOOD = dev_export_email(ALICE, SENT)


# --- hostile --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "junk",
    [
        b"",
        b"\x00\xff" * 100,
        b"not an email at all",
        b"DKIM-Signature: \r\n\r\n",
        b"DKIM-Signature: v=1; a=rsa-sha256; d=export.datadao.test; s=devnet; h=;\r\n\r\nbody",
        b"DKIM-Signature: ;;;===\r\nFrom: a@b\r\nTo: c@d\r\nDate: x\r\n\r\n",
        b"From: a@b\r\n" * 5000 + b"\r\n",
        GOOD[: len(GOOD) // 2],
    ],
)
def test_malformed_email_is_not_verified_never_a_crash(junk: bytes) -> None:
    assert verify(junk).startswith("not_verified")


def test_altered_body_is_refused() -> None:
    altered = GOOD.replace(b"ready to download", b"ready to d0wnload")
    assert altered != GOOD
    assert "does not verify" in verify(altered) or "invalid" in verify(altered)


def test_altered_recipient_breaks_the_signature() -> None:
    altered = GOOD.replace(ALICE.encode(), b"mallory@example.org")
    result = verify(altered, subject("mallory@example.org"))
    assert result.startswith("not_verified")
    assert "verify" in result or "invalid" in result


def test_forged_with_another_key_under_the_pinned_selector_is_refused() -> None:
    forged = sign_email(
        private_key_pem=fresh_pem(),
        domain=DEV_DOMAIN,
        selector=DEV_SELECTOR,
        sender=f"noreply@{DEV_DOMAIN}",
        to=ALICE,
        date=SENT,
    )
    assert verify(forged).startswith("not_verified")


def test_a_signature_by_an_unpinned_domain_is_refused() -> None:
    own = sign_email(
        private_key_pem=fresh_pem(),
        domain="attacker.test",
        selector="s1",
        sender="noreply@attacker.test",
        to=ALICE,
        date=SENT,
    )
    assert "no DKIM signature by a key pinned" in verify(own)


def test_a_second_to_header_above_the_signed_one_is_refused() -> None:
    # DKIM covers the last To; mail readers (and a naive check) read the first.
    smuggled = b"To: mallory@example.org\r\n" + GOOD
    assert "exactly one To" in verify(smuggled, subject("mallory@example.org"))


def test_recipient_other_than_the_exports_account_is_refused() -> None:
    assert "another address" in verify(GOOD, subject("bob@example.org"))


def test_export_stating_no_email_cannot_be_matched() -> None:
    assert "no account e-mail" in verify(GOOD, subject(None))


def test_stale_email_is_refused() -> None:
    old = dev_export_email(ALICE, NEWEST - timedelta(days=31))
    assert "stale" in verify(old)
    recent = dev_export_email(ALICE, NEWEST - timedelta(days=29))
    assert verify(recent) == "verified"


def test_proof_lifted_onto_another_contributors_export_is_refused() -> None:
    # Alice's e-mail attached to Bob's export: the export names Bob's mailbox.
    assert "another address" in verify(GOOD, subject("bob@example.org"))


def test_key_pinned_for_another_platform_does_not_vouch() -> None:
    assert "pinned for twitter" in verify(
        GOOD, subject(platform="twitter"), dev_policy(platforms=("chatgpt",))
    )


def test_key_outside_its_validity_window_is_refused_and_rotation_works() -> None:
    cutoff = int(SENT.timestamp())
    old = dataclasses.replace(dev_dkim_key(("chatgpt",)), not_after=cutoff)
    retired = dataclasses.replace(POLICY, dkim_keys=(old,))
    assert "not valid at the signature time" in verify(GOOD, policy=retired)
    new = DkimKey(
        domain=DEV_DOMAIN,
        selector=DEV_SELECTOR,
        public_key=old.public_key,
        platforms=("chatgpt",),
        not_before=cutoff,
    )
    assert verify(GOOD, policy=dataclasses.replace(POLICY, dkim_keys=(old, new))) == "verified"


def test_signature_with_expiry_or_length_limit_is_refused() -> None:
    message = GOOD[GOOD.index(b"From:") :]
    limited = dkim.sign(
        message, DEV_SELECTOR.encode(), DEV_DOMAIN.encode(), DEV_DKIM_PEM, length=True
    )
    assert "length limit" in verify(limited + message)
    appended = limited + message + b"\r\nClick here: https://attacker.test\r\n"
    assert verify(appended).startswith("not_verified")


def test_signature_not_covering_to_is_refused() -> None:
    message = GOOD[GOOD.index(b"From:") :]
    sig = dkim.sign(
        message,
        DEV_SELECTOR.encode(),
        DEV_DOMAIN.encode(),
        DEV_DKIM_PEM,
        include_headers=[b"from", b"date", b"subject"],
    )
    assert "does not cover to" in verify(sig + message)


def test_from_outside_the_signing_domain_is_refused() -> None:
    relayed = sign_email(
        private_key_pem=DEV_DKIM_PEM,
        domain=DEV_DOMAIN,
        selector=DEV_SELECTOR,
        sender="someone@elsewhere.test",
        to=ALICE,
        date=SENT,
    )
    assert "From address" in verify(relayed)


def test_no_pinned_keys_is_not_applicable() -> None:
    assert verify(GOOD, policy=ProofPolicy()).startswith("not_applicable")


# --- happy ----------------------------------------------------------------------------------


def test_valid_export_email_verifies_case_insensitively() -> None:
    assert verify(GOOD) == "verified"
    assert verify(GOOD, subject(ALICE.upper())) == "verified"


def test_email_saved_with_lf_line_endings_still_verifies() -> None:
    # Mail clients save .eml files with the platform's line endings turned into LF.
    assert verify(GOOD.replace(b"\r\n", b"\n")) == "verified"


def test_sniff_recognises_an_eml_and_not_json() -> None:
    assert verifier.sniff(GOOD)
    assert not verifier.sniff(b'{"claimData": {}}')
