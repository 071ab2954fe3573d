"""The statements about lists. Every list write runs in a unit of work that holds the owner's
change lock already (`UnitOfWork.hold`), so they take their change numbers in commit order
without a lock of their own."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Integer, bindparam, delete, exists, func, insert, select, update

from taskhub.adapters.postgres.change_lock import NEXT_CHANGE
from taskhub.adapters.postgres.list_rows import FIELD_NAMES, LIST_COLUMNS
from taskhub.adapters.postgres.prepared import Prepared
from taskhub.adapters.postgres.tables import LIST_POSITION_SORT, lists, sync_state, tasks
from taskhub.domain.model import REVISION

_OWNER = lists.c.owner_id == bindparam("owner", type_=lists.c.owner_id.type)
_LIVE_LIST = lists.c.deleted_at.is_(None)
_THIS_LIST = lists.c.id == bindparam("list_id", type_=lists.c.id.type)

GET_LIST: Final = Prepared.of(select(*LIST_COLUMNS).where(_OWNER, _THIS_LIST, _LIVE_LIST), name="lists.get")
ALL_LISTS: Final = Prepared.of(
    select(*LIST_COLUMNS).where(_OWNER, _LIVE_LIST).order_by(LIST_POSITION_SORT, lists.c.id),
    name="lists.all",
)
INSERT_LIST: Final = Prepared.of(
    insert(lists).values(
        **{name: bindparam(name, type_=lists.c[name].type) for name in FIELD_NAMES}, change_seq=NEXT_CHANGE
    ),
    name="lists.insert",
)
# The owner's list rows by change number, tombstones included.
LIST_CHANGES: Final = Prepared.of(
    select(*LIST_COLUMNS, lists.c.change_seq, lists.c.deleted_at)
    .where(_OWNER, lists.c.change_seq > bindparam("after"))
    .order_by(lists.c.change_seq)
    .limit(bindparam("limit", type_=Integer)),
    name="lists.changes",
)
_REVISED = ("name", "position", "updated_at", "version")
SAVE_LIST: Final = Prepared.of(
    update(lists)
    .where(_OWNER, _THIS_LIST, _LIVE_LIST)
    .values(**{name: bindparam(name, type_=lists.c[name].type) for name in _REVISED}, change_seq=NEXT_CHANGE),
    name="lists.save",
)

# A list's deletion takes its live tasks with it, each a tombstone of its own in the feed.
_GONE = (
    update(lists)
    .where(_OWNER, _THIS_LIST, _LIVE_LIST)
    .values(
        deleted_at=bindparam("at", type_=lists.c.deleted_at.type),
        updated_at=bindparam("at", type_=lists.c.deleted_at.type),
        version=lists.c.version + 1,
        change_seq=NEXT_CHANGE,
    )
    .returning(lists.c.id)
    .cte("gone")
)
_TASKS_GONE = (
    update(tasks)
    .where(
        tasks.c.owner_id == bindparam("owner", type_=tasks.c.owner_id.type),
        tasks.c.list_id.in_(select(_GONE.c.id)),
        tasks.c.deleted_at.is_(None),
    )
    .values(
        deleted_at=bindparam("at", type_=tasks.c.deleted_at.type),
        **{
            REVISION.clock: bindparam("at", type_=tasks.c.deleted_at.type),
            REVISION.counter: tasks.c[REVISION.counter] + 1,
        },
        change_seq=NEXT_CHANGE,
    )
    .returning(tasks.c.id)
    .cte("tasks_gone")
)
DELETE_LIST: Final = Prepared.of(select(func.count()).select_from(_TASKS_GONE), name="lists.delete")

# Maintenance: a list's tombstone goes once no task row (live or tombstone) refers to it any more,
# and the watermark rises past its change number, as for tasks.
_DOOMED: Any = (
    select(lists.c.id)
    .where(
        lists.c.deleted_at < bindparam("deleted_before", type_=lists.c.deleted_at.type),
        ~exists().where(tasks.c.owner_id == lists.c.owner_id, tasks.c.list_id == lists.c.id),
    )
    .limit(bindparam("batch_size", type_=Integer))
    .with_for_update(skip_locked=True)
)
_PURGED = (
    delete(lists).where(lists.c.id.in_(_DOOMED.scalar_subquery())).returning(lists.c.change_seq).cte("purged")
)
_RAISED = (
    update(sync_state)
    .where(sync_state.c.id == 1)
    .values(
        purged_through_seq=func.greatest(
            sync_state.c.purged_through_seq, select(func.max(_PURGED.c.change_seq)).scalar_subquery()
        )
    )
    .cte("raised")
)
PURGE_LIST_TOMBSTONES: Final = Prepared.of(
    select(func.count()).select_from(_PURGED).add_cte(_RAISED), name="lists.purge_tombstones"
)
