"""The node's side of proofs: read a ``--proof`` file, and say before sending whether it verifies.

``datadao contribute --proof FILE`` and ``datadao inspect --proof FILE`` read the file here: at
most :data:`~node.parsers.base.MAX_PROOF_BYTES`, never empty, its method named (``dkim:FILE``)
or recognised by exactly one registered verifier's ``sniff``. Every refusal is a
:class:`~node.proofs.errors.ProofFileError` (exit code 4, bad input), raised before anything is
parsed, sealed or sent.

:func:`preview` runs the same verifiers validators run, against the dataset's pinned policy as
the node knows it (the ``proofs`` section of the dataset's ValuationSpec file; the chain holds
its digest), so a contributor learns that a proof will not verify while fixing it is cheap. The
validators' verdict is the one that counts.
"""

from __future__ import annotations

from pathlib import Path

from node import safejson
from node.parsers.base import MAX_PROOF_BYTES, AttachedProof, ParsedExport
from node.proofs.base import Verdict
from node.proofs.errors import ProofFileError
from node.proofs.params import ProofPolicy, ProofPolicyError
from node.proofs.registry import ProofRegistry, load_proof_registry, subject_of, verify_proofs

__all__ = ["policy_from_spec", "preview", "read_proof_file"]


def read_proof_file(spec: str, registry: ProofRegistry | None = None) -> AttachedProof:
    """``FILE`` or ``METHOD:FILE`` -> the proof to attach.

    Raises:
        ProofFileError: missing, unreadable, empty or too large file; unknown method; no or
            several methods recognise the bytes.
    """
    registry = registry or load_proof_registry()
    method, sep, rest = spec.partition(":")
    named = bool(sep) and method in registry.names() and not Path(spec).exists()
    path = Path(rest if named else spec)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise ProofFileError(f"proof {path}: not a file")
        if size > MAX_PROOF_BYTES:
            raise ProofFileError(f"proof {path}: {size} bytes, more than {MAX_PROOF_BYTES}")
        with path.open("rb") as fh:
            data = fh.read(MAX_PROOF_BYTES + 1)
    except OSError as err:
        raise ProofFileError(f"proof {path}: {err.strerror or type(err).__name__}") from None
    if not data or len(data) > MAX_PROOF_BYTES:
        raise ProofFileError(f"proof {path}: empty or larger than {MAX_PROOF_BYTES} bytes")
    if not named:
        found = registry.detect(data)
        if found is None:
            raise ProofFileError(
                f"proof {path}: not recognised as one of {', '.join(registry.names())}; "
                "name the method as METHOD:FILE"
            )
        method = found
    return AttachedProof(method, data)


def policy_from_spec(path: Path) -> ProofPolicy:
    """The ``proofs`` section of a dataset's ValuationSpec JSON (the default when absent).

    Raises:
        ProofFileError: the file cannot be read or is not a JSON object.
        ProofPolicyError: the section is malformed.
    """
    try:
        raw = safejson.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ProofFileError(f"spec {path}: {type(err).__name__}") from None
    if not isinstance(raw, dict):
        raise ProofPolicyError(f"spec {path} is not a JSON object")
    return ProofPolicy.from_dict(raw.get("proofs", {}))


def preview(
    export: ParsedExport,
    export_commitment: bytes,
    contributor: str,
    policy: ProofPolicy,
    registry: ProofRegistry | None = None,
) -> tuple[Verdict, ...]:
    """The verdicts validators would reach on ``export``'s proofs for ``contributor``."""
    subject = subject_of(export, export_commitment)
    return verify_proofs(subject, export.proofs, contributor, policy, registry)
