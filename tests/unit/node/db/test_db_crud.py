"""crud: steps are durable when the call returns, transitions are checked, content is unique."""

from __future__ import annotations

from typing import Any

import pytest
from db_testing import make_create
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from node.db import crud
from node.db.models import Submission, SubmissionPublic, SubmissionStatus

S = SubmissionStatus


def test_create_then_read_back_from_another_session(session: Session, engine: Engine) -> None:
    row = crud.create_submission(session=session, submission_in=make_create())
    assert row.id is not None
    assert row.status is S.PARSED
    with Session(engine) as other:
        again = crud.get_submission(session=other, submission_id=row.id)
        assert again is not None
        assert again.status is S.PARSED  # read back as the enum, not a string
        assert again.pii_removed == {"email": 1}
        assert row.file_id is not None
        assert crud.get_by_file_id(session=other, file_id=row.file_id) is not None


def test_happy_path_transitions_stamp_each_step(session: Session) -> None:
    row = crud.create_submission(session=session, submission_in=make_create())
    row = crud.advance(
        session=session, submission=row, status=S.SEALED, header_hash="0x" + "aa" * 32
    )
    row = crud.advance(session=session, submission=row, status=S.STORED, cid="bafy")
    row = crud.advance(session=session, submission=row, status=S.SIGNED, epoch=3, nonce=9)
    row = crud.advance(session=session, submission=row, status=S.SIGNED, epoch=4, nonce=10)
    row = crud.advance(session=session, submission=row, status=S.REGISTERED, block_number=7)
    assert row.sealed_at
    assert row.stored_at
    assert row.signed_at
    assert row.registered_at
    assert (row.epoch, row.nonce, row.block_number) == (4, 10, 7)
    public = SubmissionPublic.model_validate(row)
    assert not hasattr(public, "signature")
    assert not hasattr(public, "sealed_path")


@pytest.mark.parametrize(
    ("start", "target"),
    [(S.PARSED, S.STORED), (S.PARSED, S.SIGNED), (S.SEALED, S.PARSED), (S.REGISTERED, S.SIGNED)],
)
def test_illegal_transitions_raise(session: Session, start: S, target: S) -> None:
    row = crud.create_submission(session=session, submission_in=make_create())
    row = crud.update_fields(session=session, submission=row, status=start)
    with pytest.raises(ValueError, match="not allowed"):
        crud.advance(session=session, submission=row, status=target)


OTHER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def test_content_is_unique_per_deployment_dataset_and_contributor(session: Session) -> None:
    crud.create_submission(session=session, submission_in=make_create(1))
    # same content, another dataset: allowed
    crud.create_submission(
        session=session, submission_in=make_create(1, dataset_id=2, file_id="0x" + "ee" * 32)
    )
    # same content, another contributor: allowed (the registry dedupes per contributor)
    crud.create_submission(
        session=session, submission_in=make_create(1, contributor=OTHER, file_id=None)
    )
    with pytest.raises(IntegrityError):
        crud.create_submission(
            session=session, submission_in=make_create(1, file_id="0x" + "ff" * 32)
        )


def test_rows_before_sealing_have_no_file_id_and_do_not_collide(session: Session) -> None:
    """v2 derives the file id from the sealed header: unsealed rows hold NULL, many at once."""
    a = crud.create_submission(session=session, submission_in=make_create(1, file_id=None))
    b = crud.create_submission(session=session, submission_in=make_create(2, file_id=None))
    assert (a.file_id, b.file_id) == (None, None)
    sealed = crud.advance(session=session, submission=a, status=S.SEALED, file_id="0x" + "ab" * 32)
    assert crud.reset_to_parsed(session=session, submission=sealed).file_id is None


def test_a_second_account_is_not_told_already_submitted(session: Session) -> None:
    """get_by_source and get_by_commitment answer for one contributor, never another's row."""
    mine = crud.create_submission(session=session, submission_in=make_create(1))
    common: dict[str, Any] = {
        "chain_id": 31337,
        "registry_address": mine.registry_address,
        "dataset_id": 1,
    }
    assert (
        crud.get_by_source(
            session=session,
            source_sha256=mine.source_sha256,
            scrubbed=True,
            contributor=OTHER,
            **common,
        )
        is None
    )
    assert (
        crud.get_by_commitment(
            session=session,
            content_commitment=mine.content_commitment,
            contributor=OTHER,
            **common,
        )
        is None
    )


def test_lookups_by_commitment_and_source(session: Session) -> None:
    a = crud.create_submission(session=session, submission_in=make_create(1))
    b = crud.create_submission(session=session, submission_in=make_create(2))
    common: dict[str, Any] = {
        "chain_id": 31337,
        "registry_address": a.registry_address,
        "dataset_id": 1,
    }
    me = a.contributor
    found = crud.get_by_commitment(
        session=session, content_commitment=b.content_commitment, contributor=me, **common
    )
    assert found is not None
    assert found.id == b.id
    src = crud.get_by_source(
        session=session, source_sha256=a.source_sha256, scrubbed=True, contributor=me, **common
    )
    assert src is not None
    assert src.id == a.id
    assert (
        crud.get_by_source(
            session=session,
            source_sha256=a.source_sha256,
            scrubbed=False,
            contributor=me,
            **common,
        )
        is None
    )
    assert [r.id for r in crud.list_submissions(session=session, **common)] == [a.id, b.id]


def test_reset_fail_and_referenced_cids(session: Session) -> None:
    keep = crud.create_submission(session=session, submission_in=make_create(1))
    keep = crud.advance(
        session=session, submission=keep, status=S.SEALED, header_hash="0x" + "11" * 32
    )
    keep = crud.advance(session=session, submission=keep, status=S.STORED, cid="bafykeep")
    gone = crud.create_submission(session=session, submission_in=make_create(2))
    gone = crud.advance(
        session=session, submission=gone, status=S.SEALED, header_hash="0x" + "22" * 32
    )
    gone = crud.advance(session=session, submission=gone, status=S.STORED, cid="bafygone")
    gone = crud.mark_failed(session=session, submission=gone, reason="duplicate")
    assert gone.status is S.FAILED
    assert gone.failure_reason == "duplicate"
    assert crud.referenced_cids(session=session) == {"bafykeep"}

    reset = crud.reset_to_parsed(session=session, submission=keep)
    assert reset.status is S.PARSED
    assert (reset.cid, reset.header_hash, reset.sealed_at) == (None, None, None)

    done = crud.create_submission(session=session, submission_in=make_create(3))
    done = crud.advance(session=session, submission=done, status=S.REGISTERED)
    with pytest.raises(ValueError, match="registered"):
        crud.reset_to_parsed(session=session, submission=done)
    with pytest.raises(ValueError, match="registered"):
        crud.mark_failed(session=session, submission=done, reason="x")


def test_unknown_field_is_rejected(session: Session) -> None:
    row: Submission = crud.create_submission(session=session, submission_in=make_create())
    with pytest.raises(ValueError, match="unknown submission field"):
        crud.update_fields(session=session, submission=row, colour="red")
