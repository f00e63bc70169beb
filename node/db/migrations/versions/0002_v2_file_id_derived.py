"""Protocol v2: the file id is derived from the sealed header; content unique per contributor.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

v2 derives ``fileId = keccak256(abi.encode(contributor, headerHash))`` on chain, so a row has no
file id until it is sealed: the column becomes nullable (still unique; NULLs never collide).
The registry refuses the same content twice per contributor only (another account may submit
it), so the content constraint gains the contributor: two accounts sharing one node's database
each get their own row. ``nonce`` stays (v2 signs no nonce; old rows keep theirs).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("submission") as batch_op:
        batch_op.alter_column("file_id", existing_type=sa.String(length=66), nullable=True)
        batch_op.drop_constraint("uq_submission_content", type_="unique")
        batch_op.create_unique_constraint(
            "uq_submission_content",
            ["chain_id", "registry_address", "dataset_id", "contributor", "content_commitment"],
        )


def downgrade() -> None:
    with op.batch_alter_table("submission") as batch_op:
        batch_op.drop_constraint("uq_submission_content", type_="unique")
        batch_op.create_unique_constraint(
            "uq_submission_content",
            ["chain_id", "registry_address", "dataset_id", "content_commitment"],
        )
        batch_op.alter_column("file_id", existing_type=sa.String(length=66), nullable=False)
