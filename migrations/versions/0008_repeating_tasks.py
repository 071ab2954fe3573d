"""Repeating tasks: `tasks.recurrence`, `tasks.recurrence_start` and `tasks.last_completed_at`.

No long exclusive lock on `tasks`: nullable columns without defaults are added in the catalogue
only (every existing task does not repeat). The CHECK that a repeating task has a due date and a
start is added NOT VALID: PostgreSQL enforces it on every row written from then on, and every row
already there holds it (its `recurrence` is the null just added), so it is not validated. A
VALIDATE would read the whole table while this migration's transaction still holds the exclusive
lock the new columns took (0.3 s per million tasks, measured).

Code of 0007 still runs against this schema: its statements name their columns, so the rows it
writes do not repeat. Stored idempotent answers need no update: a task read back from one without
the new fields does not repeat (task_rows.task_from_json reads a missing field as null).

Downgrading drops the rules: repeating tasks become plain tasks due at their current occurrence.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from taskhub.adapters.postgres.tables import RECURRENCE_HAS_A_START
from taskhub.domain.recurrence import RECURRENCE_MAX_LENGTH

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHECK = "ck_tasks_recurrence_has_a_start"


def upgrade() -> None:
    op.add_column("tasks", sa.Column("last_completed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tasks", sa.Column("recurrence_start", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tasks", sa.Column("recurrence", sa.String(RECURRENCE_MAX_LENGTH), nullable=True))
    op.execute(f"ALTER TABLE tasks ADD CONSTRAINT {_CHECK} CHECK ({RECURRENCE_HAS_A_START}) NOT VALID")


def downgrade() -> None:
    op.execute(f"ALTER TABLE tasks DROP CONSTRAINT {_CHECK}")
    op.drop_column("tasks", "recurrence")
    op.drop_column("tasks", "recurrence_start")
    op.drop_column("tasks", "last_completed_at")
