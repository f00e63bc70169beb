"""The node's own state: one row per contribution, moved forward one recorded step at a time.

A contribution is a small state machine (DESIGN.md §3 steps 1-4)::

    PARSED -> SEALED -> STORED -> SIGNED -> REGISTERED
       \\________\\_________\\________\\____-> FAILED (with a reason)

Each step's outputs are written to the row *before* the next step starts, so a process killed
anywhere resumes from the last committed step and reuses what that step produced. This matters
most for sealing: a sealed file is randomized (fresh data key and nonces), so re-sealing would
give a different CID and header hash, i.e. a different submission.

Following the template's split, :class:`SubmissionBase` holds the public columns,
:class:`SubmissionCreate` is what the pipeline records after parsing, :class:`Submission` is the
table and :class:`SubmissionPublic` is what the CLI and API show (no signature, no local paths).
Byte strings (ids, hashes, signatures) are stored as ``0x``-prefixed lowercase hex, which reads
the same in SQLite, PostgreSQL and block explorers.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import JSON, BigInteger, Column, DateTime, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

__all__ = [
    "Submission",
    "SubmissionBase",
    "SubmissionCreate",
    "SubmissionPublic",
    "SubmissionStatus",
    "utcnow",
]


def utcnow() -> datetime:
    """Timezone-aware now; every timestamp in the database is UTC."""
    return datetime.now(UTC)


class SubmissionStatus(enum.StrEnum):
    """Where a contribution stands. The order of the happy path is the declaration order."""

    PARSED = "parsed"
    """Parsed, scrubbed and canonicalized; content commitment known (no file id yet)."""
    SEALED = "sealed"
    """Sealed file written atomically to ``sealed_path``; header hash, the file id derived from
    it and the ritual recorded."""
    STORED = "stored"
    """Sealed file added (and pinned) in the blob store; CID recorded."""
    SIGNED = "signed"
    """EIP-712 message signed for ``epoch`` with ``nonce``; ``tx_hash`` set once broadcast."""
    REGISTERED = "registered"
    """On chain, and the chain's record matches this row."""
    FAILED = "failed"
    """Cannot proceed (``failure_reason`` says why); its blocks and sealed file are removed."""

    @property
    def terminal(self) -> bool:
        return self in (SubmissionStatus.REGISTERED, SubmissionStatus.FAILED)


_STATUS_TYPE = SAEnum(
    SubmissionStatus,
    name="submission_status",
    native_enum=False,  # a VARCHAR: adding a state later needs no ALTER TYPE on PostgreSQL
    length=16,
    values_callable=lambda e: [m.value for m in e],
    validate_strings=True,
)
"""Stored as the lowercase value; read back as the enum member."""

_HASH = 66  # "0x" + 64 hex digits
_ADDRESS = 42


class SubmissionBase(SQLModel):
    """Columns every view of a submission shares: what was contributed, where, by whom."""

    source_path: str = Field(description="The export file as given on the command line.")
    source_sha256: str = Field(max_length=64, index=True, description="sha256 of the export.")
    platform: str = Field(max_length=64)
    export_account: str | None = Field(default=None, description="Handle the export states.")
    contributor: str = Field(max_length=_ADDRESS, index=True, description="Signing address.")
    chain_id: int = Field(sa_type=BigInteger)
    registry_address: str = Field(max_length=_ADDRESS, description="SubmissionRegistry address.")
    dataset_id: int = Field(sa_type=BigInteger)
    scrubbed: bool = True
    records: int = Field(ge=0)
    pii_removed: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    content_commitment: str = Field(max_length=_HASH)
    file_id: str | None = Field(
        default=None,
        max_length=_HASH,
        unique=True,
        description="keccak256(abi.encode(contributor, headerHash)): known once sealed.",
    )


class SubmissionCreate(SubmissionBase):
    """What the pipeline records once an export is parsed (step 1)."""


class Submission(SubmissionBase, table=True):
    """One contribution and every step's output. Unique per (chain, registry, dataset,
    contributor, content): the same account contributing the same content twice resumes the
    first row; another account gets its own (the registry accepts content once per contributor).
    """

    __tablename__ = "submission"
    __table_args__ = (
        UniqueConstraint(
            "chain_id",
            "registry_address",
            "dataset_id",
            "contributor",
            "content_commitment",
            name="uq_submission_content",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    status: SubmissionStatus = Field(
        default=SubmissionStatus.PARSED,
        sa_type=_STATUS_TYPE,
        index=True,
    )
    failure_reason: str | None = None
    ritual_id: int | None = Field(default=None, sa_type=BigInteger)
    sealed_path: str | None = None
    sealed_size: int | None = Field(default=None, sa_type=BigInteger)
    header_hash: str | None = Field(default=None, max_length=_HASH)
    cid: str | None = Field(default=None, max_length=128)
    epoch: int | None = Field(default=None, sa_type=BigInteger)
    nonce: int | None = Field(default=None, sa_type=BigInteger)
    deadline: int | None = Field(default=None, sa_type=BigInteger)
    signature: str | None = Field(default=None, max_length=132)
    tx_hash: str | None = Field(default=None, max_length=_HASH)
    block_number: int | None = Field(default=None, sa_type=BigInteger)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    sealed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    stored_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    signed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    registered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class SubmissionPublic(SubmissionBase):
    """What is shown to users: no signature, no local file paths beyond the source."""

    id: int
    status: SubmissionStatus
    failure_reason: str | None
    ritual_id: int | None
    header_hash: str | None
    cid: str | None
    epoch: int | None
    tx_hash: str | None
    block_number: int | None
    created_at: datetime
    registered_at: datetime | None
