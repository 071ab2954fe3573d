"""The statements that read tasks by id, and the change feed."""

from __future__ import annotations

from typing import Final

from sqlalchemy import Integer, bindparam, select

from taskhub.adapters.postgres.prepared import Prepared
from taskhub.adapters.postgres.tables import sync_state, tasks
from taskhub.adapters.postgres.task_columns import BY_ID_AND_OWNER, COLUMNS

GET: Final = Prepared.of(select(*COLUMNS).where(BY_ID_AND_OWNER), name="tasks.get")
# The owner's rows by change number, tombstones included (their `deleted_at` says so).
CHANGES: Final = Prepared.of(
    select(*COLUMNS, tasks.c.change_seq, tasks.c.deleted_at)
    .where(tasks.c.owner_id == bindparam("owner"), tasks.c.change_seq > bindparam("after"))
    .order_by(tasks.c.change_seq)
    .limit(bindparam("limit", type_=Integer)),
    name="tasks.changes",
)
WATERMARK: Final = Prepared.of(
    select(sync_state.c.purged_through_seq).where(sync_state.c.id == 1), name="sync.watermark"
)
