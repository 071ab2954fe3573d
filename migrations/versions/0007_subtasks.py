"""Subtasks: `tasks.parent_id`, and an index of each task's children in their order.

No long exclusive lock on `tasks`: a nullable column without a default is added in the catalogue
only, and every existing task is then top-level (null). The index holds subtasks only (`parent_id
IS NOT NULL`), so it is empty when built, and a top-level task costs it nothing to write.

No foreign key on `parent_id`: a subtree is deleted as tombstones, which the purge forgets oldest
first in batches across owners, so a parent's row may go before its children's; and the rules a
parent obeys (the same owner and list, no cycle, four levels) are more than a key can say. They
are the domain's (domain/tree.py), applied under the owner's lock (docs/ordering.md).

`taskhub_next_top_level_position(owner, list)` (position_sql.py) gives a new top-level task its
key after the INSERT that calls it holds the owner's lock, so that it sees every move committed
before. Code of 0006 still runs against this schema (its INSERT places tasks by itself).

Stored idempotent answers need no update: a task read back from one without `parent_id` is
top-level (task_rows.task_from_json reads a missing field as null).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from taskhub.adapters.postgres.position_sql import (
    CREATE_NEXT_TOP_LEVEL_POSITION,
    DROP_NEXT_TOP_LEVEL_POSITION,
)

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tasks", sa.Column("parent_id", sa.Uuid(), nullable=True))
    op.create_index(
        "ix_tasks_owner_parent_position",
        "tasks",
        ["owner_id", "parent_id", sa.literal_column('position COLLATE "C"'), "id"],
        postgresql_where=sa.text("deleted_at IS NULL AND parent_id IS NOT NULL"),
    )
    op.execute(CREATE_NEXT_TOP_LEVEL_POSITION)


def downgrade() -> None:
    op.execute(DROP_NEXT_TOP_LEVEL_POSITION)
    op.drop_index("ix_tasks_owner_parent_position", table_name="tasks")
    # Subtasks become top-level tasks of their list: the only kind the older schema has.
    op.drop_column("tasks", "parent_id")
