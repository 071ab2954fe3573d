"""Idempotency records keep how a request ended, not an HTTP response.

A record held the first response's status, headers and body; it now holds the task the request
answered with (as the adapter writes a task to JSON) or the domain error it ended with, and the
HTTP edge renders a replay as it rendered the first answer. Records made before keep working: their
body (the task as the API returned it) becomes the task, with its owner and its priority's rank.

Downgrading forgets the records (each lives 24 hours at most): a retry across a downgrade within
that time is answered as a new request.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TASK_FROM_BODY = """
UPDATE idempotency_keys SET task = convert_from(body, 'UTF8')::jsonb || jsonb_build_object(
    'owner_id', owner_id,
    'priority', CASE convert_from(body, 'UTF8')::jsonb ->> 'priority'
        WHEN 'low' THEN 1 WHEN 'medium' THEN 2 WHEN 'high' THEN 3 ELSE 0 END
)
"""


def upgrade() -> None:
    op.add_column(
        "idempotency_keys", sa.Column("task", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.add_column(
        "idempotency_keys", sa.Column("failure", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.execute(_TASK_FROM_BODY)
    op.drop_constraint(op.f("ck_idempotency_keys_status_is_http"), "idempotency_keys", type_="check")
    op.drop_column("idempotency_keys", "status")
    op.drop_column("idempotency_keys", "headers")
    op.drop_column("idempotency_keys", "body")
    op.create_check_constraint(
        op.f("ck_idempotency_keys_task_or_failure"), "idempotency_keys", "(task IS NULL) <> (failure IS NULL)"
    )


def downgrade() -> None:
    op.execute("DELETE FROM idempotency_keys")
    op.drop_constraint(op.f("ck_idempotency_keys_task_or_failure"), "idempotency_keys", type_="check")
    op.add_column("idempotency_keys", sa.Column("body", sa.LargeBinary(), nullable=False))
    op.add_column(
        "idempotency_keys", sa.Column("headers", postgresql.JSONB(astext_type=sa.Text()), nullable=False)
    )
    op.add_column("idempotency_keys", sa.Column("status", sa.SmallInteger(), nullable=False))
    op.create_check_constraint(
        op.f("ck_idempotency_keys_status_is_http"), "idempotency_keys", "status BETWEEN 100 AND 599"
    )
    op.drop_column("idempotency_keys", "failure")
    op.drop_column("idempotency_keys", "task")
