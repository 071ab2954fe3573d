"""Erasure records: `erasures`, what is kept of a user whose data was erased (a digest of the id
and a change number), so that their sync tokens from before it expire.

A new, empty table: no lock on any other.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("owner_digest", sa.LargeBinary(32), nullable=False),
        sa.Column("through_seq", sa.BigInteger(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("octet_length(owner_digest) = 32", name=op.f("ck_erasures_digest_length")),
        sa.PrimaryKeyConstraint("owner_digest", name=op.f("pk_erasures")),
    )


def downgrade() -> None:
    op.drop_table("erasures")
