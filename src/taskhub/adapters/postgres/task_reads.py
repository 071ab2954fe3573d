"""The statements that read tasks by id, and the change feed."""

from __future__ import annotations

from typing import Final

from sqlalchemy import Integer, bindparam, func, select

from taskhub.adapters.postgres.prepared import Prepared
from taskhub.adapters.postgres.tables import erasures, sync_state, tasks
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
# The higher of the tombstones' purge watermark and the owner's erasure, if any.
_ERASED_THROUGH = (
    select(erasures.c.through_seq)
    .where(erasures.c.owner_digest == bindparam("digest", type_=erasures.c.owner_digest.type))
    .scalar_subquery()
)
WATERMARK: Final = Prepared.of(
    select(func.greatest(sync_state.c.purged_through_seq, func.coalesce(_ERASED_THROUGH, 0))).where(
        sync_state.c.id == 1
    ),
    name="sync.watermark",
)
