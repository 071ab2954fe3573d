"""Full-text search, more sort indexes, and change numbers for the sync feed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence("task_change_seq")))
    op.create_table(
        "sync_state",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("purged_through_seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_sync_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_state")),
    )
    op.execute("INSERT INTO sync_state (id, purged_through_seq) VALUES (1, 0)")
    # Existing rows get numbers from the sequence as the column is added (a volatile default).
    op.add_column(
        "tasks",
        sa.Column(
            "change_seq",
            sa.BigInteger(),
            server_default=sa.text("nextval('task_change_seq')"),
            nullable=False,
        ),
    )
    op.add_column(
        "tasks",
        sa.Column(
            "search_vector",
            postgresql.TSVECTOR(),
            sa.Computed("to_tsvector('simple', title || ' ' || description)", persisted=True),
            nullable=False,
        ),
    )
    op.create_index(
        "ix_tasks_deleted_at",
        "tasks",
        ["deleted_at"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NOT NULL"),
    )
    op.create_index("ix_tasks_owner_change_seq", "tasks", ["owner_id", "change_seq"], unique=True)
    op.create_index(
        "ix_tasks_owner_due_asc",
        "tasks",
        ["owner_id", sa.literal_column("coalesce(due_at, 'infinity'::timestamptz)"), "id"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index(
        "ix_tasks_owner_due_desc",
        "tasks",
        ["owner_id", sa.literal_column("coalesce(due_at, '-infinity'::timestamptz)"), "id"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index(
        "ix_tasks_owner_priority",
        "tasks",
        ["owner_id", "priority", "id"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index(
        "ix_tasks_owner_title",
        "tasks",
        ["owner_id", sa.literal_column('(title COLLATE "C")'), "id"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index(
        "ix_tasks_owner_updated",
        "tasks",
        ["owner_id", "updated_at", "id"],
        unique=False,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.create_index(
        "ix_tasks_search_vector", "tasks", ["search_vector"], unique=False, postgresql_using="gin"
    )
    op.create_index("ix_tasks_tags", "tasks", ["tags"], unique=False, postgresql_using="gin")


def downgrade() -> None:
    op.drop_index("ix_tasks_tags", table_name="tasks", postgresql_using="gin")
    op.drop_index("ix_tasks_search_vector", table_name="tasks", postgresql_using="gin")
    op.drop_index(
        "ix_tasks_owner_updated", table_name="tasks", postgresql_where=sa.text("deleted_at IS NULL")
    )
    op.drop_index("ix_tasks_owner_title", table_name="tasks", postgresql_where=sa.text("deleted_at IS NULL"))
    op.drop_index(
        "ix_tasks_owner_priority", table_name="tasks", postgresql_where=sa.text("deleted_at IS NULL")
    )
    op.drop_index(
        "ix_tasks_owner_due_desc", table_name="tasks", postgresql_where=sa.text("deleted_at IS NULL")
    )
    op.drop_index(
        "ix_tasks_owner_due_asc", table_name="tasks", postgresql_where=sa.text("deleted_at IS NULL")
    )
    op.drop_index("ix_tasks_owner_change_seq", table_name="tasks")
    op.drop_index(
        "ix_tasks_deleted_at", table_name="tasks", postgresql_where=sa.text("deleted_at IS NOT NULL")
    )
    op.drop_column("tasks", "search_vector")
    op.drop_column("tasks", "change_seq")
    op.drop_table("sync_state")
    op.execute(sa.schema.DropSequence(sa.Sequence("task_change_seq")))
