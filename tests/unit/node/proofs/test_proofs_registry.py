"""The proof registry: unknown methods, broken plug-ins and detection never crash a caller."""

from __future__ import annotations

from datetime import UTC, datetime

from node.parsers.base import AttachedProof
from node.proofs.base import ProofSubject, Verdict
from node.proofs.devkeys import dev_export_email, dev_policy
from node.proofs.params import ProofPolicy
from node.proofs.registry import ProofRegistry, load_proof_registry, verify_proofs

SUBJECT = ProofSubject(
    "chatgpt", "u", "alice@example.org", b"\0" * 32, datetime(2025, 1, 1, tzinfo=UTC)
)
EML = dev_export_email("alice@example.org", datetime(2025, 1, 2, tzinfo=UTC))


class Exploding:
    method = "boom"

    def sniff(self, data: bytes) -> bool:
        raise RuntimeError("sniff bug")

    def verify(
        self, subject: ProofSubject, proof: bytes, contributor: str, policy: ProofPolicy
    ) -> Verdict:
        raise RuntimeError("plug-in bug")


class Liar:
    method = "liar"

    def sniff(self, data: bytes) -> bool:
        return False

    def verify(
        self, subject: ProofSubject, proof: bytes, contributor: str, policy: ProofPolicy
    ) -> Verdict:
        return Verdict.verified("dkim")  # claims another method's verdict


def registry() -> ProofRegistry:
    reg = load_proof_registry()
    return ProofRegistry(
        {
            **reg.targets,
            "boom": f"{__name__}:Exploding",
            "liar": f"{__name__}:Liar",
            "missing": "no.such.module:Thing",
        }
    )


def test_builtins_are_registered_through_the_entry_point_group() -> None:
    assert {"dkim", "reclaim"} <= set(load_proof_registry().names())


def test_unknown_broken_and_lying_plugins_give_verdicts_not_exceptions() -> None:
    proofs = (
        AttachedProof("nosuch", b"x"),
        AttachedProof("missing", b"x"),
        AttachedProof("boom", b"x"),
        AttachedProof("liar", b"x"),
        AttachedProof("dkim", EML),
    )
    verdicts = verify_proofs(SUBJECT, proofs, "0x" + "00" * 20, dev_policy(), registry())
    assert [v.status for v in verdicts] == [
        "not_applicable",
        "not_applicable",
        "not_verified",
        "not_verified",
        "verified",
    ]
    assert "RuntimeError" in verdicts[2].reason
    assert [v.method for v in verdicts] == ["nosuch", "missing", "boom", "liar", "dkim"]


def test_detect_names_the_one_method_that_recognises_the_bytes() -> None:
    reg = registry()
    assert reg.detect(EML) == "dkim"
    assert reg.detect(b'{"claimData": {}}') == "reclaim"
    assert reg.detect(b"plain text") is None
