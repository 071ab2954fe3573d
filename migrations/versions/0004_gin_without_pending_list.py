"""The search and tag indexes take each write directly, without GIN's pending list.

With `fastupdate` on (PostgreSQL's default), GIN indexes collect new entries in an unsorted pending
list until VACUUM or the list's 4 MB limit merges them, and every search scans that whole list.
After 60,000 writes in `make bench`, a search of title and description ran at 590 requests/s
instead of 1,550-1,890 until VACUUM ran; with the pending list off it stayed at 1,660-1,890, and
creates and patches were no slower (a task's title, description and tags are a few entries).

Changing `fastupdate` takes an ACCESS EXCLUSIVE lock on the index, so queries on `tasks` wait for
the moment of the change (and it waits for those in flight). What is already pending is merged
first, before that lock, so the lock is held for the change alone.

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

_INDEXES = ("ix_tasks_search_vector", "ix_tasks_tags")


def upgrade() -> None:
    for index in _INDEXES:
        # Entries already pending would stay there (and in every search) until the next VACUUM;
        # the few written between this and the change are merged by autovacuum.
        op.execute(f"SELECT gin_clean_pending_list('{index}'::regclass)")
    for index in _INDEXES:
        op.execute(f"ALTER INDEX {index} SET (fastupdate = off)")


def downgrade() -> None:
    for index in _INDEXES:
        op.execute(f"ALTER INDEX {index} RESET (fastupdate)")
