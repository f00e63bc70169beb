"""Method ``reclaim``: an attestor-signed claim about the account (zkTLS, Reclaim's format).

Our own verifier of Reclaim's proof format (``reclaim-python-sdk`` 1.0.3 is on PyPI, but its
verification asks Reclaim's servers for the attestor set; validators must decide from pinned
parameters alone). Both shapes Reclaim produces are read:

* the SDK's ``Proof``: ``{"claimData": {"provider", "parameters", "context", "identifier",
  "owner", "timestampS", "epoch"}, "signatures": ["0x…"], …}``;
* the attestor's ``{"claimInfo": {"provider", "parameters", "context"}, "signedClaim":
  {"claim": {"identifier", "owner", "timestampS", "epoch"}, "signatures": ["0x…"]}}``.

A validator accepts it when:

1. ``identifier == keccak256(provider + "\\n" + parameters + "\\n" + context)`` (so the
   signatures below cover the claim's content);
2. every signature is an Ethereum ``personal_sign`` over
   ``identifier\\nowner\\ntimestampS\\nepoch`` (identifier and owner lowercase) by an attestor
   of the pinned set, and at least ``attestor_threshold`` distinct pinned attestors signed (a
   signature by anyone else refuses the proof: attestors are trusted as a set, and an outsider
   in it means the proof is not what the set vouched for);
3. the context (JSON) names ``contextAddress`` = the contributor's address and
   ``contextMessage`` = the export commitment (``0x`` + hex of sha256 of the canonical bytes
   without proofs), so the proof cannot be replayed for another address or another file, and
   ``providerHash`` is a provider the dataset pins for the export's platform;
4. ``context.extractedParameters`` names the export's account: its ``email`` equals the
   export's account e-mail, else its ``username`` equals the export's handle (case-insensitive,
   without a leading ``@``).

What it proves, and what not: that the attestor set saw a TLS session with the platform in which
the account named in the export was logged in, and that the prover bound that observation to
this contributor and this file. It trusts the attestors as a set (``attestor_threshold`` of them
colluding can sign anything), and it says nothing about who else holds a copy of the export.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_hash.auto import keccak

from node.proofs.base import ProofSubject, Verdict
from node.proofs.params import ProofPolicy
from node.safejson import too_deep

__all__ = ["METHOD", "ClaimInfo", "ReclaimVerifier", "claim_identifier", "sign_claim"]

METHOD = "reclaim"
MAX_SIGNATURES = 32
_SIG = re.compile(r"0x[0-9a-fA-F]{130}")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_IDENT = re.compile(r"0x[0-9a-fA-F]{64}")


class _Refusal(Exception):
    """A check failed; the message is the verdict's reason."""


@dataclass(frozen=True, slots=True)
class ClaimInfo:
    """The claimed content: provider, its parameters and the prover's context (JSON strings)."""

    provider: str
    parameters: str
    context: str


def claim_identifier(info: ClaimInfo) -> str:
    """``0x`` + hex keccak256 of ``provider\\nparameters\\ncontext``, as Reclaim defines it."""
    text = f"{info.provider}\n{info.parameters}\n{info.context}"
    return "0x" + keccak(text.encode("utf-8")).hex()


def _signed_text(identifier: str, owner: str, timestamp_s: int, epoch: int) -> str:
    return f"{identifier.lower()}\n{owner.lower()}\n{timestamp_s}\n{epoch}"


def sign_claim(
    info: ClaimInfo, *, owner: str, timestamp_s: int, epoch: int, attestor_keys: Sequence[bytes]
) -> bytes:
    """A proof in the SDK's ``Proof`` shape signed by ``attestor_keys`` (tests and the demo)."""
    identifier = claim_identifier(info)
    text = _signed_text(identifier, owner, timestamp_s, epoch)
    signatures = [
        "0x" + Account.sign_message(encode_defunct(text=text), key).signature.hex()
        for key in attestor_keys
    ]
    proof = {
        "identifier": identifier,
        "claimData": {
            "provider": info.provider,
            "parameters": info.parameters,
            "context": info.context,
            "identifier": identifier,
            "owner": owner,
            "timestampS": timestamp_s,
            "epoch": epoch,
        },
        "signatures": signatures,
        "witnesses": [],
    }
    return json.dumps(proof, sort_keys=True).encode()


def _str(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str):
        raise _Refusal(f"claim field {name!r} must be a string")
    return value


def _int(obj: dict[str, Any], name: str) -> int:
    value = obj.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**63:
        raise _Refusal(f"claim field {name!r} must be a non-negative integer")
    return value


def _dict(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Refusal(f"{what} must be a JSON object")
    return value


MAX_DEPTH = 16


def _loads(text: str) -> Any:
    """``json.loads`` after refusing nesting deeper than :data:`MAX_DEPTH`.

    The C decoder recurses once per level and web3 lifts the recursion limit, so deep nesting
    would overflow the C stack (a crash, not a RecursionError): depth is measured first
    (:mod:`node.safejson`).
    """
    if too_deep(text, limit=MAX_DEPTH):
        raise _Refusal(f"JSON nested deeper than {MAX_DEPTH}")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise _Refusal("not JSON") from None


def _parse(proof: bytes) -> tuple[ClaimInfo, str, str, int, int, list[str]]:
    try:
        raw = _loads(proof.decode("utf-8"))
    except (UnicodeDecodeError, _Refusal) as err:
        raise _Refusal(f"not a JSON Reclaim proof ({err})") from None
    top = _dict(raw, "the proof")
    if "claimData" in top:
        data = _dict(top["claimData"], "claimData")
        info_src, claim, sigs = data, data, top.get("signatures")
    else:
        info_src = _dict(top.get("claimInfo"), "claimInfo")
        signed = _dict(top.get("signedClaim"), "signedClaim")
        claim, sigs = _dict(signed.get("claim"), "signedClaim.claim"), signed.get("signatures")
    info = ClaimInfo(
        _str(info_src, "provider"), _str(info_src, "parameters"), _str(info_src, "context")
    )
    identifier, owner = _str(claim, "identifier"), _str(claim, "owner")
    if not _IDENT.fullmatch(identifier) or not _ADDRESS.fullmatch(owner):
        raise _Refusal("claim identifier or owner is malformed")
    if not isinstance(sigs, list) or not 1 <= len(sigs) <= MAX_SIGNATURES:
        raise _Refusal(f"a claim needs 1 to {MAX_SIGNATURES} signatures")
    if not all(isinstance(s, str) and _SIG.fullmatch(s) for s in sigs):
        raise _Refusal("a signature is not 65 bytes of 0x-hex")
    return info, identifier, owner, _int(claim, "timestampS"), _int(claim, "epoch"), sigs


def _signers(identifier: str, owner: str, ts: int, epoch: int, sigs: list[str]) -> set[str]:
    message = encode_defunct(text=_signed_text(identifier, owner, ts, epoch))
    signers = set()
    for sig in sigs:
        try:
            signers.add(str(Account.recover_message(message, signature=sig)).lower())
        except Exception:  # bad curve points, v values: all are "not signed"
            raise _Refusal("a signature cannot be recovered") from None
    return signers


def _check(subject: ProofSubject, proof: bytes, contributor: str, policy: ProofPolicy) -> None:
    info, identifier, owner, ts, epoch, sigs = _parse(proof)
    if claim_identifier(info) != identifier.lower():
        raise _Refusal("the claim identifier does not match its content (altered claim)")
    pinned = {a.lower() for a in policy.attestors}
    signers = _signers(identifier, owner, ts, epoch, sigs)
    outsiders = sorted(signers - pinned)
    if outsiders:
        raise _Refusal(f"signed by {outsiders[0]}, outside the pinned attestor set")
    if len(signers) < policy.attestor_threshold:
        raise _Refusal(
            f"{len(signers)} pinned attestor(s) signed, {policy.attestor_threshold} needed"
        )
    context = _dict(_loads(info.context), "the claim context")
    address = context.get("contextAddress")
    if not isinstance(address, str) or address.lower() != contributor.lower():
        raise _Refusal("the claim names another contributor address")
    if context.get("contextMessage") != subject.export_commitment_hex:
        raise _Refusal("the claim names another export (commitment mismatch)")
    platform = subject.platform
    providers = {p.provider_hash for p in policy.reclaim_providers if p.platform == platform}
    if context.get("providerHash") not in providers:
        raise _Refusal(f"the claim's provider is not pinned for {subject.platform}")
    extracted = context.get("extractedParameters")
    extracted = extracted if isinstance(extracted, dict) else {}
    claimed_email, claimed_user = extracted.get("email"), extracted.get("username")
    if isinstance(claimed_email, str) and subject.email is not None:
        if claimed_email.casefold() != subject.email.casefold():
            raise _Refusal("the claim is about another account e-mail than the export's")
        return
    if isinstance(claimed_user, str) and subject.account is not None:
        if claimed_user.lstrip("@").casefold() != subject.account.lstrip("@").casefold():
            raise _Refusal("the claim is about another account than the export's")
        return
    raise _Refusal("the claim names no account the export states")


class ReclaimVerifier:
    """The ``reclaim`` proof method (see the module docstring)."""

    @property
    def method(self) -> str:
        """``reclaim``."""
        return METHOD

    def sniff(self, data: bytes) -> bool:
        """A JSON object holding ``claimData`` or ``signedClaim``."""
        head = data[:4096].lstrip()
        return head.startswith(b"{") and (b'"claimData"' in data or b'"signedClaim"' in data)

    def verify(
        self, subject: ProofSubject, proof: bytes, contributor: str, policy: ProofPolicy
    ) -> Verdict:
        """Verify ``proof`` (Reclaim JSON) for ``contributor``'s ``subject``."""
        if not policy.attestors:
            return Verdict.not_applicable(METHOD, "the dataset pins no attestors")
        try:
            _check(subject, bytes(proof), contributor, policy)
        except _Refusal as refusal:
            return Verdict.refused(METHOD, str(refusal))
        return Verdict.verified(METHOD)
