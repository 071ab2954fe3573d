"""Lists, and a manual order for tasks and lists.

A `lists` table (soft-deleted and numbered in the change sequence, like tasks), and on `tasks`:
`list_id` (null: the inbox) with a foreign key to the owner's list, and `position`, the key that
orders siblings byte-wise (domain/positions.py).

No long exclusive lock on `tasks`: both columns are added without a rewrite (a nullable column;
a constant default, which PostgreSQL keeps in the catalogue), so existing tasks are in the inbox
at position 'a0', and ties among siblings are broken by id, which is time-ordered (UUIDv7): they
keep their creation order without an UPDATE of every row. The first move into such a set gives
it fresh keys (domain/ordering.py). The foreign key is added NOT VALID: every existing row has a
null `list_id`, so a validation would only scan the table under the lock. What remains under the
lock is building the two position indexes (docs/data-model.md has the figures).

`taskhub_position_after(key)` is `positions.key_after` in SQL (position_sql.py), so an INSERT
places a new task last among its siblings in the statement itself. A later change to the function
is a later revision that runs its CREATE OR REPLACE again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from taskhub.adapters.postgres.position_sql import CREATE_POSITION_AFTER, DROP_POSITION_AFTER

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.execute(CREATE_POSITION_AFTER)
    op.create_table(
        "lists",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "change_seq",
            sa.BigInteger(),
            server_default=sa.text("nextval('task_change_seq')"),
            nullable=False,
        ),
        sa.CheckConstraint("char_length(owner_id) >= 1", name=op.f("ck_lists_owner_id_not_empty")),
        sa.CheckConstraint("char_length(btrim(name)) >= 1", name=op.f("ck_lists_name_not_blank")),
        sa.CheckConstraint("char_length(position) >= 1", name=op.f("ck_lists_position_not_empty")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_lists_version_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lists")),
        sa.UniqueConstraint("owner_id", "id", name=op.f("uq_lists_owner_id_id")),
    )
    op.create_index(
        "ix_lists_owner_position",
        "lists",
        ["owner_id", sa.literal_column('position COLLATE "C"'), "id"],
        postgresql_where=_LIVE,
    )
    op.create_index("ix_lists_owner_change_seq", "lists", ["owner_id", "change_seq"], unique=True)
    op.create_index(
        "ix_lists_deleted_at", "lists", ["deleted_at"], postgresql_where=sa.text("deleted_at IS NOT NULL")
    )

    op.add_column("tasks", sa.Column("list_id", sa.Uuid(), nullable=True))
    op.add_column(
        "tasks", sa.Column("position", sa.String(length=64), server_default=sa.text("'a0'"), nullable=False)
    )
    op.create_check_constraint(op.f("ck_tasks_position_not_empty"), "tasks", "char_length(position) >= 1")
    op.create_foreign_key(
        op.f("fk_tasks_owner_id_lists"),
        "tasks",
        "lists",
        ["owner_id", "list_id"],
        ["owner_id", "id"],
        postgresql_not_valid=True,
    )
    op.create_index(
        "ix_tasks_owner_list_position",
        "tasks",
        ["owner_id", "list_id", sa.literal_column('position COLLATE "C"'), "id"],
        postgresql_where=_LIVE,
    )
    op.create_index(
        "ix_tasks_owner_position",
        "tasks",
        ["owner_id", sa.literal_column('position COLLATE "C"'), "id"],
        postgresql_where=_LIVE,
    )

    op.add_column(
        "idempotency_keys", sa.Column("list", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.drop_constraint(op.f("ck_idempotency_keys_task_or_failure"), "idempotency_keys", type_="check")
    op.create_check_constraint(
        op.f("ck_idempotency_keys_one_ending"), "idempotency_keys", "num_nonnulls(task, list, failure) = 1"
    )
    # A stored answer replays the task as it was then: in the inbox at 'a0', where the new columns
    # put it in the table too. The records live 24 hours at most, so the update stays small.
    op.execute(
        'UPDATE idempotency_keys SET task = task || \'{"list_id": null, "position": "a0"}\'::jsonb'
        " WHERE task IS NOT NULL AND task -> 'position' IS NULL"
    )


def downgrade() -> None:
    # A record of a list's creation has no place in the older table: forgotten (24 hours at most).
    op.execute("DELETE FROM idempotency_keys WHERE list IS NOT NULL")
    op.drop_constraint(op.f("ck_idempotency_keys_one_ending"), "idempotency_keys", type_="check")
    op.create_check_constraint(
        op.f("ck_idempotency_keys_task_or_failure"), "idempotency_keys", "(task IS NULL) <> (failure IS NULL)"
    )
    op.drop_column("idempotency_keys", "list")

    op.drop_index("ix_tasks_owner_position", table_name="tasks")
    op.drop_index("ix_tasks_owner_list_position", table_name="tasks")
    op.drop_constraint(op.f("fk_tasks_owner_id_lists"), "tasks", type_="foreignkey")
    op.drop_constraint(op.f("ck_tasks_position_not_empty"), "tasks", type_="check")
    op.drop_column("tasks", "position")
    # Tasks that were in a list go back to the only place the older schema has: the inbox.
    op.drop_column("tasks", "list_id")
    op.drop_table("lists")
    op.execute(DROP_POSITION_AFTER)
