"""The submission table: one row per contribution and every step's output.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Written with plain SQLAlchemy types (not sqlmodel's), so this file keeps meaning the same thing
whatever later versions of the models or of sqlmodel say. Never edit a released revision: add one.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "submission",
        sa.Column("source_path", sa.String(), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=64), nullable=False),
        sa.Column("export_account", sa.String(), nullable=True),
        sa.Column("contributor", sa.String(length=42), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("registry_address", sa.String(length=42), nullable=False),
        sa.Column("dataset_id", sa.BigInteger(), nullable=False),
        sa.Column("scrubbed", sa.Boolean(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("pii_removed", sa.JSON(), nullable=False),
        sa.Column("content_commitment", sa.String(length=66), nullable=False),
        sa.Column("file_id", sa.String(length=66), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "parsed",
                "sealed",
                "stored",
                "signed",
                "registered",
                "failed",
                name="submission_status",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("failure_reason", sa.String(), nullable=True),
        sa.Column("ritual_id", sa.BigInteger(), nullable=True),
        sa.Column("sealed_path", sa.String(), nullable=True),
        sa.Column("sealed_size", sa.BigInteger(), nullable=True),
        sa.Column("header_hash", sa.String(length=66), nullable=True),
        sa.Column("cid", sa.String(length=128), nullable=True),
        sa.Column("epoch", sa.BigInteger(), nullable=True),
        sa.Column("nonce", sa.BigInteger(), nullable=True),
        sa.Column("deadline", sa.BigInteger(), nullable=True),
        sa.Column("signature", sa.String(length=132), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sealed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "chain_id",
            "registry_address",
            "dataset_id",
            "content_commitment",
            name="uq_submission_content",
        ),
        sa.UniqueConstraint("file_id"),
    )
    with op.batch_alter_table("submission") as batch_op:
        batch_op.create_index("ix_submission_contributor", ["contributor"], unique=False)
        batch_op.create_index("ix_submission_source_sha256", ["source_sha256"], unique=False)
        batch_op.create_index("ix_submission_status", ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("submission") as batch_op:
        batch_op.drop_index("ix_submission_status")
        batch_op.drop_index("ix_submission_source_sha256")
        batch_op.drop_index("ix_submission_contributor")
    op.drop_table("submission")
