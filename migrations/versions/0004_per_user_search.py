"""Search and tag filters read the owner's rows: the table-wide GIN indexes go.

Every query about tasks names one owner. A GIN index on `search_vector` (or `tags`) spans every
user's rows, so PostgreSQL ANDed it with the owner's index and read every user's matches to keep
one user's: 19,757 rows read for 33 kept among 300 users, 1.1 ms against 0.2 ms without it, and
growing with the number of users, not with the caller's tasks. Without them a search walks the
owner's listing index in the requested order and stops after a page: at worst (a word none of the
caller's tasks has) it reads all of the caller's tasks, 27 ms for a user with 100,000. And every
write maintained both: an edit of a title, or any edit (no update is HOT), inserted into each.
bench/README.md has the measurements.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_tasks_search_vector", table_name="tasks", postgresql_using="gin")
    op.drop_index("ix_tasks_tags", table_name="tasks", postgresql_using="gin")


def downgrade() -> None:
    op.create_index("ix_tasks_tags", "tasks", ["tags"], unique=False, postgresql_using="gin")
    op.create_index(
        "ix_tasks_search_vector", "tasks", ["search_vector"], unique=False, postgresql_using="gin"
    )
