"""Ownership proofs: evidence that an export belongs to the person who contributes it.

DESIGN.md §10. A contributor attaches proof bytes to an export (``datadao contribute --proof``);
they are carried in the canonical header (``node/parsers/canonical.py``) and sealed with it, so
only those who decrypt the file see them. Validators judge each proof with the verifier
registered for its method in the ``datadao.proofs`` entry-point group (``registry.py``), against
parameters pinned in the dataset's ValuationSpec (``params.py``), and apply the dataset's policy
to files without a verified proof (``validator/proofs.py``).

Built-in methods: ``dkim`` (the platform's DKIM-signed "export ready" e-mail, ``dkim.py``) and
``reclaim`` (an attestor-signed zkTLS claim in Reclaim's format, ``reclaim.py``). Each module's
docstring says what it proves and what it does not. Importing this package builds nothing.
"""

from node.proofs.base import ProofSubject, ProofVerifier, Status, Verdict
from node.proofs.params import DkimKey, ProofPolicy, ProofPolicyError, ReclaimProvider

__all__ = [
    "DkimKey",
    "ProofPolicy",
    "ProofPolicyError",
    "ProofSubject",
    "ProofVerifier",
    "ReclaimProvider",
    "Status",
    "Verdict",
]
