"""Ownership proofs on the validator: verdicts per file, the dataset's policy, the label's counts.

DESIGN.md §10. For every valued file of an epoch, :func:`apply_proof_policy` reads the proofs
sealed in its canonical header, asks the verifier of each method (``node.proofs``, the
``datadao.proofs`` group) for a verdict against the parameters pinned in the dataset's
ValuationSpec (``spec.proofs``), and applies the policy to a file with no verified proof:
``zero``, or its basis points times ``factor_bps / 10000`` (integer floor). Everything it uses is
in the sealed bytes, the chain's record (the contributor's address) or the registered spec, so
every honest validator reaches the same scores. Valuation never sees proof bytes: records are
read from the record lines only.

A file's proof is *lifted* when it verifies for another export or another address; the verifiers
refuse that (a DKIM e-mail must be addressed to the account the export names, a Reclaim claim
must name this contributor and this export's commitment). Files that were not valued (flagged,
unavailable) are left as they are: they already score 0.

The counts (:class:`ProofLabel`) go into the nutrition label: files and basis points proven, by
method, and the unproven rest with what the policy did to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from node.proofs.base import Verdict
from node.proofs.params import ProofPolicy
from node.proofs.registry import ProofRegistry, subject_of_canonical, verify_proofs
from node.types import Bps

__all__ = ["FileVerdicts", "ProofLabel", "apply_proof_policy", "contributors_of", "judge_file"]


@dataclass(frozen=True, slots=True)
class FileVerdicts:
    """One file's verdicts; ``method`` is the first verified method, None when unproven."""

    verdicts: tuple[Verdict, ...]

    @property
    def method(self) -> str | None:
        """The first method that verified, or None."""
        return next((v.method for v in self.verdicts if v.ok), None)

    def reason(self) -> str:
        """Why the file counts as unproven (for the file's reason line)."""
        if not self.verdicts:
            return "no ownership proof"
        return "ownership proof " + "; ".join(v.describe() for v in self.verdicts)


def judge_file(
    plaintext: bytes,
    contributor: str | None,
    policy: ProofPolicy,
    registry: ProofRegistry | None = None,
) -> FileVerdicts:
    """The verdicts on a file's sealed proofs. Never raises: unreadable bytes have no proof."""
    try:
        subject, proofs = subject_of_canonical(plaintext)
    except Exception:  # the scorer already flags unreadable files; here they are just unproven
        return FileVerdicts(())
    address = contributor or "0x" + "00" * 20  # unknown address: no claim can name it
    return FileVerdicts(verify_proofs(subject, proofs, address, policy, registry))


@dataclass(slots=True)
class ProofLabel:
    """The nutrition label's proof section (basis points are after the policy for unproven)."""

    policy: str
    files: int = 0
    proven_files: int = 0
    value_bps: int = 0
    proven_bps: int = 0
    unproven_bps_before: int = 0
    unproven_bps_after: int = 0
    by_method: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, sorted by method."""
        return {
            "policy": self.policy,
            "files": self.files,
            "proven_files": self.proven_files,
            "unproven_files": self.files - self.proven_files,
            "value_bps": self.value_bps,
            "proven_bps": self.proven_bps,
            "unproven_bps_before_policy": self.unproven_bps_before,
            "unproven_bps_after_policy": self.unproven_bps_after,
            "by_method": dict(sorted(self.by_method.items())),
        }


def apply_proof_policy(
    plaintexts: Mapping[str, bytes],
    contributors: Mapping[str, str | None],
    scores: dict[str, Bps],
    reasons: dict[str, str],
    policy: ProofPolicy,
    registry: ProofRegistry | None = None,
    judged: Mapping[str, FileVerdicts] | None = None,
) -> ProofLabel:
    """Judge every valued file (keys: file id hex) and apply ``policy`` in place.

    ``scores`` and ``reasons`` are updated: an unproven file's score becomes
    ``policy.unproven_bps(score)`` and, when that changes it, its reason says why.
    ``judged`` holds verdicts already reached by :func:`judge_file` (the scoring daemon judges
    each file when it opens it, then drops its bytes); the others are judged from ``plaintexts``.
    """
    label = ProofLabel(policy=policy.describe())
    for key in sorted(scores):
        judged_file = (judged or {}).get(key)
        if judged_file is None:
            plaintext = plaintexts.get(key)
            if plaintext is None:
                continue
            judged_file = judge_file(plaintext, contributors.get(key), policy, registry)
        before = int(scores[key])
        label.files += 1
        method = judged_file.method
        if method is not None:
            label.proven_files += 1
            label.proven_bps += before
            label.value_bps += before
            row = label.by_method.setdefault(method, {"files": 0, "value_bps": 0})
            row["files"] += 1
            row["value_bps"] += before
            continue
        after = policy.unproven_bps(before)
        label.unproven_bps_before += before
        label.unproven_bps_after += after
        label.value_bps += after
        if after != before:
            scores[key] = Bps(after)
            reasons[key] = f"{judged_file.reason()}: {policy.describe()}"
    return label


def contributors_of(files: Sequence[Any]) -> dict[str, str | None]:
    """File id hex -> contributor address, from objects with ``file_id`` and ``contributor``."""
    return {f.file_id.hex(): getattr(f, "contributor", None) for f in files}
