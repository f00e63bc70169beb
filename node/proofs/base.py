"""What a proof verifier takes and returns: the subject, the verdict and the plug-in Protocol.

A verifier is registered under a method name in the ``datadao.proofs`` entry-point group (see
``registry.py``) and called by validators with:

* the :class:`ProofSubject`: what the sealed canonical export states about itself (platform,
  account handle, account e-mail, the time of its newest record) and its *export commitment*,
  ``sha256`` of the canonical bytes **without** the proofs (``node.parsers.canonical``). A
  proof names that commitment, never the on-chain ``contentCommitment`` (which covers the
  proofs, so a proof naming it would have to contain its own hash);
* the proof bytes as the contributor attached them;
* the contributor's address (from the chain's record, never from the file);
* the dataset's pinned :class:`~node.proofs.params.ProofPolicy`.

It returns a :class:`Verdict` and never raises for anything in the proof: a hostile proof is
"not verified" with a reason. (The registry also catches what a buggy plug-in raises.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from node.proofs.params import ProofPolicy

__all__ = ["ProofSubject", "ProofVerifier", "Status", "Verdict"]

Status = Literal["verified", "not_verified", "not_applicable"]


@dataclass(frozen=True, slots=True)
class ProofSubject:
    """What a proof is checked against (see the module docstring).

    Attributes:
        platform: the export's platform (parser name).
        account: the account handle the export states, or None.
        email: the account's e-mail the export states, or None.
        export_commitment: 32 bytes, ``sha256`` of the canonical bytes without proofs.
        newest: the newest record time, or None when no record has one.
    """

    platform: str
    account: str | None
    email: str | None
    export_commitment: bytes
    newest: datetime | None

    @property
    def export_commitment_hex(self) -> str:
        """``0x`` + lowercase hex: how a claim context names the export."""
        return "0x" + self.export_commitment.hex()


@dataclass(frozen=True, slots=True)
class Verdict:
    """One proof's outcome.

    ``verified``: the proof holds for this export and contributor. ``not_verified``: it was
    checked and fails, ``reason`` says why. ``not_applicable``: it cannot be judged under this
    dataset (an unknown method, a method the dataset pins no parameters for).
    """

    method: str
    status: Status
    reason: str = ""

    @property
    def ok(self) -> bool:
        """Whether the proof verified."""
        return self.status == "verified"

    @classmethod
    def verified(cls, method: str) -> Verdict:
        """The proof holds."""
        return cls(method, "verified")

    @classmethod
    def refused(cls, method: str, reason: str) -> Verdict:
        """The proof was checked and fails for ``reason``."""
        return cls(method, "not_verified", reason)

    @classmethod
    def not_applicable(cls, method: str, reason: str) -> Verdict:
        """The proof cannot be judged under this dataset."""
        return cls(method, "not_applicable", reason)

    def describe(self) -> str:
        """One line for people: ``dkim: verified`` / ``dkim: not verified (reason)``."""
        words = self.status.replace("_", " ")
        return f"{self.method}: {words}" + (f" ({self.reason})" if self.reason else "")


@runtime_checkable
class ProofVerifier(Protocol):
    """What a proof plug-in provides (registered in the ``datadao.proofs`` group)."""

    @property
    def method(self) -> str:
        """The method name proofs carry (``AttachedProof.method``)."""
        ...

    def sniff(self, data: bytes) -> bool:
        """Whether ``data`` looks like this method's proof (cheap; used by ``--proof``)."""
        ...

    def verify(
        self, subject: ProofSubject, proof: bytes, contributor: str, policy: ProofPolicy
    ) -> Verdict:
        """The verdict for ``proof`` attached to ``subject`` by ``contributor``. Never raises."""
        ...
