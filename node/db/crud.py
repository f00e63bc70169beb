"""Keyword-only data access for submissions. Every write commits, so a step is durable when the
call returns: the pipeline relies on this to resume after a crash at any point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from node.db.models import Submission, SubmissionCreate, SubmissionStatus, utcnow

__all__ = [
    "advance",
    "create_submission",
    "get_by_commitment",
    "get_by_file_id",
    "get_by_source",
    "get_submission",
    "list_submissions",
    "mark_failed",
    "referenced_cids",
    "reset_to_parsed",
    "update_fields",
]

_S = SubmissionStatus
_FORWARD: dict[SubmissionStatus, frozenset[SubmissionStatus]] = {
    _S.PARSED: frozenset({_S.SEALED, _S.REGISTERED}),
    _S.SEALED: frozenset({_S.STORED, _S.REGISTERED}),
    _S.STORED: frozenset({_S.SIGNED, _S.REGISTERED}),
    # SIGNED -> SIGNED: re-signed for a later epoch (the window closed) with a fresh nonce.
    _S.SIGNED: frozenset({_S.SIGNED, _S.REGISTERED}),
    _S.REGISTERED: frozenset(),
    _S.FAILED: frozenset(),
}
"""Allowed moves. Any non-terminal row may jump to REGISTERED: reconciling with the chain (the
submission was mined but the process died before recording it) can happen at any step."""

_STAMP = {
    _S.SEALED: "sealed_at",
    _S.STORED: "stored_at",
    _S.SIGNED: "signed_at",
    _S.REGISTERED: "registered_at",
}


def create_submission(*, session: Session, submission_in: SubmissionCreate) -> Submission:
    """Insert a PARSED row (step 1's outputs) and commit."""
    row = Submission.model_validate(submission_in, update={"status": _S.PARSED})
    session.add(row)
    session.commit()
    session.refresh(row)
    return row


def get_submission(*, session: Session, submission_id: int) -> Submission | None:
    return session.get(Submission, submission_id)


def get_by_file_id(*, session: Session, file_id: str) -> Submission | None:
    return session.exec(select(Submission).where(Submission.file_id == file_id)).first()


def get_by_commitment(
    *,
    session: Session,
    chain_id: int,
    registry_address: str,
    dataset_id: int,
    contributor: str,
    content_commitment: str,
) -> Submission | None:
    """This contributor's row for this content in this deployment (at most one: a unique
    constraint). Another account's row for the same content is not this one's."""
    stmt = select(Submission).where(
        Submission.chain_id == chain_id,
        Submission.registry_address == registry_address,
        Submission.dataset_id == dataset_id,
        Submission.contributor == contributor,
        Submission.content_commitment == content_commitment,
    )
    return session.exec(stmt).first()


def get_by_source(
    *,
    session: Session,
    source_sha256: str,
    chain_id: int,
    registry_address: str,
    dataset_id: int,
    scrubbed: bool,
    contributor: str,
) -> Submission | None:
    """This contributor's newest row made from an export with these bytes (lets a re-run skip
    parsing). Filtered by contributor: a second account contributing the same export is not
    "already submitted" (the registry accepts content once per contributor)."""
    stmt = (
        select(Submission)
        .where(
            Submission.source_sha256 == source_sha256,
            Submission.chain_id == chain_id,
            Submission.registry_address == registry_address,
            Submission.dataset_id == dataset_id,
            Submission.scrubbed == scrubbed,
            Submission.contributor == contributor,
        )
        .order_by(col(Submission.id).desc())
    )
    return session.exec(stmt).first()


def list_submissions(
    *,
    session: Session,
    contributor: str | None = None,
    chain_id: int | None = None,
    registry_address: str | None = None,
    dataset_id: int | None = None,
) -> Sequence[Submission]:
    """Rows, oldest first, optionally for one contributor, deployment and dataset."""
    stmt = select(Submission).order_by(col(Submission.id))
    if contributor is not None:
        stmt = stmt.where(Submission.contributor == contributor)
    if chain_id is not None:
        stmt = stmt.where(Submission.chain_id == chain_id)
    if registry_address is not None:
        stmt = stmt.where(Submission.registry_address == registry_address)
    if dataset_id is not None:
        stmt = stmt.where(Submission.dataset_id == dataset_id)
    return session.exec(stmt).all()


def advance(
    *, session: Session, submission: Submission, status: SubmissionStatus, **fields: Any
) -> Submission:
    """Record a step: set ``fields`` and ``status`` together, stamp the time, commit.

    Raises:
        ValueError: if the move is not allowed (a bug in the caller, not a user error).
    """
    if status not in _FORWARD[submission.status]:
        raise ValueError(f"submission {submission.id}: {submission.status} -> {status} not allowed")
    now = utcnow()
    for name, value in fields.items():
        if name not in Submission.model_fields:
            raise ValueError(f"unknown submission field {name!r}")
        setattr(submission, name, value)
    submission.status = status
    submission.updated_at = now
    stamp = _STAMP.get(status)
    if stamp is not None:
        setattr(submission, stamp, now)
    session.add(submission)
    session.commit()
    session.refresh(submission)
    return submission


def update_fields(*, session: Session, submission: Submission, **fields: Any) -> Submission:
    """Record outputs within a step without moving it (e.g. the tx hash right after broadcast)."""
    for name, value in fields.items():
        if name not in Submission.model_fields:
            raise ValueError(f"unknown submission field {name!r}")
        setattr(submission, name, value)
    submission.updated_at = utcnow()
    session.add(submission)
    session.commit()
    session.refresh(submission)
    return submission


def reset_to_parsed(*, session: Session, submission: Submission, **fields: Any) -> Submission:
    """Forget every output after parsing (the sealed file must be redone, e.g. a new key ritual
    or a FAILED row retried). Only for rows that never reached the chain."""
    if submission.status == _S.REGISTERED:
        raise ValueError(f"submission {submission.id} is registered; it cannot be reset")
    return update_fields(
        session=session,
        submission=submission,
        status=_S.PARSED,
        failure_reason=None,
        file_id=None,
        ritual_id=None,
        sealed_path=None,
        sealed_size=None,
        header_hash=None,
        cid=None,
        epoch=None,
        nonce=None,
        deadline=None,
        signature=None,
        tx_hash=None,
        sealed_at=None,
        stored_at=None,
        signed_at=None,
        **fields,
    )


def mark_failed(*, session: Session, submission: Submission, reason: str) -> Submission:
    """Terminal failure with a reason. Registered rows never fail."""
    if submission.status == _S.REGISTERED:
        raise ValueError(f"submission {submission.id} is registered; it cannot fail")
    return update_fields(
        session=session, submission=submission, status=_S.FAILED, failure_reason=reason
    )


def referenced_cids(*, session: Session) -> set[str]:
    """Every CID a row still needs kept (REGISTERED and in-flight rows; FAILED ones do not)."""
    stmt = select(Submission.cid).where(
        col(Submission.cid).is_not(None), Submission.status != _S.FAILED
    )
    return {cid for cid in session.exec(stmt).all() if cid is not None}
