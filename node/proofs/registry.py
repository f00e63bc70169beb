"""Which proof methods exist, and the one call validators and ``inspect`` make: verdicts.

Built-in verifiers are listed here *and* in the ``datadao.proofs`` entry-point group of our
``pyproject.toml``; third-party packages add methods with their own entry point::

    [project.entry-points."datadao.proofs"]
    github = "datadao_github_proof:GithubVerifier"

The target is a zero-argument callable returning a :class:`~node.proofs.base.ProofVerifier`,
imported only when first used. Built-ins win a name clash (a plug-in cannot replace how DKIM is
checked). Nothing is built at import: :func:`load_proof_registry` builds and caches.

:func:`verify_proofs` never raises for a proof: an unknown method is "not applicable", and an
exception out of a plug-in (a bug, or a hostile proof the plug-in did not expect) is "not
verified" naming the exception class, so one file can never take a validator's epoch down.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points

from node.parsers.base import AttachedProof, ParsedExport
from node.parsers.canonical import export_commitment, load_canonical
from node.plugins import import_target
from node.proofs.base import ProofSubject, ProofVerifier, Verdict
from node.proofs.params import ProofPolicy

__all__ = [
    "BUILTIN_VERIFIERS",
    "ENTRY_POINT_GROUP",
    "ProofRegistry",
    "load_proof_registry",
    "subject_of",
    "subject_of_canonical",
    "verify_proofs",
]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "datadao.proofs"
BUILTIN_VERIFIERS: Mapping[str, str] = {
    "dkim": "node.proofs.dkim:DkimVerifier",
    "reclaim": "node.proofs.reclaim:ReclaimVerifier",
}


@dataclass(slots=True)
class ProofRegistry:
    """Method name -> ``module:attribute`` target; verifiers are built once, on first use."""

    targets: Mapping[str, str]
    _built: dict[str, ProofVerifier] = field(default_factory=dict, repr=False)

    def names(self) -> tuple[str, ...]:
        """Registered method names (built-ins first)."""
        return tuple(self.targets)

    def get(self, method: str) -> ProofVerifier | None:
        """The verifier for ``method``, or None when none is registered or it cannot load."""
        if method in self._built:
            return self._built[method]
        target = self.targets.get(method)
        if target is None:
            return None
        try:
            verifier = import_target(target)()
        except Exception:  # a broken plug-in makes its method unknown, not the node unusable
            log.warning("proof verifier %s (%s) could not be loaded", method, target)
            return None
        if not isinstance(verifier, ProofVerifier):
            log.warning("proof verifier %s (%s) is not a ProofVerifier", method, target)
            return None
        self._built[method] = verifier
        return verifier

    def detect(self, data: bytes) -> str | None:
        """The one method whose ``sniff`` recognises ``data``, else None (none or several)."""
        found = []
        for name in self.targets:
            verifier = self.get(name)
            try:
                if verifier is not None and verifier.sniff(data):
                    found.append(name)
            except Exception:  # a plug-in's sniff must not break detection for the others
                log.warning("proof verifier %s failed to sniff a proof file", name)
        return found[0] if len(found) == 1 else None


@functools.cache
def load_proof_registry() -> ProofRegistry:
    """Built-ins, then the ``datadao.proofs`` entry points by name (cached)."""
    targets = dict(BUILTIN_VERIFIERS)
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if ep.name in BUILTIN_VERIFIERS:
            if ep.value != BUILTIN_VERIFIERS[ep.name]:
                log.warning("proof plug-in %s ignored: a built-in has that name", ep.name)
            continue
        targets[ep.name] = ep.value
    return ProofRegistry(targets)


def subject_of(export: ParsedExport, commitment: bytes) -> ProofSubject:
    """The :class:`ProofSubject` of a parsed export whose proof-less commitment is known."""
    span = export.time_span()
    return ProofSubject(
        platform=export.platform,
        account=export.account,
        email=export.email,
        export_commitment=bytes(commitment),
        newest=None if span is None else span[1],
    )


def subject_of_canonical(data: bytes) -> tuple[ProofSubject, tuple[AttachedProof, ...]]:
    """Subject and proofs of sealed canonical bytes (validators).

    Raises:
        node.errors.ParseError: ``data`` is not canonical (see ``load_canonical``).
    """
    export = load_canonical(data)
    return subject_of(export, export_commitment(data)), export.proofs


def verify_proofs(
    subject: ProofSubject,
    proofs: tuple[AttachedProof, ...],
    contributor: str,
    policy: ProofPolicy,
    registry: ProofRegistry | None = None,
) -> tuple[Verdict, ...]:
    """One verdict per proof, in the proofs' order. Never raises for a proof."""
    registry = registry or load_proof_registry()
    verdicts = []
    for proof in proofs:
        verifier = registry.get(proof.method)
        if verifier is None:
            verdicts.append(Verdict.not_applicable(proof.method, "no verifier for this method"))
            continue
        try:
            verdict = verifier.verify(subject, proof.data, contributor, policy)
        except Exception as err:
            verdict = Verdict.refused(proof.method, f"verifier failed ({type(err).__name__})")
        if not isinstance(verdict, Verdict) or verdict.method != proof.method:
            verdict = Verdict.refused(proof.method, "verifier returned no verdict")
        verdicts.append(verdict)
    return tuple(verdicts)
