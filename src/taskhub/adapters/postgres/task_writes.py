"""The statements that insert and delete tasks, and forget old deletions.

A write comes in two forms (change_lock.py): `locking`, which takes the owner's change lock
itself, for the first write of an owner in a transaction or a write sent on its own; `plain`,
for the later ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import ARRAY, Integer, any_, bindparam, delete, func, insert, select, update

from taskhub.adapters.postgres.change_lock import LOCKED, NEXT_CHANGE
from taskhub.adapters.postgres.prepared import Prepared
from taskhub.adapters.postgres.tables import sync_state, tasks
from taskhub.adapters.postgres.task_columns import BY_ID_AND_OWNER, COLUMNS
from taskhub.domain.model import REVISION


@dataclass(frozen=True, slots=True)
class Write:
    """A write statement in its two forms."""

    plain: Prepared
    locking: Prepared


def versioned(statement: Any) -> Any:
    """Only when the task's version is one of `versions` (If-Match)."""
    return statement.where(tasks.c.version == any_(bindparam("versions", type_=ARRAY(Integer))))


def _insert(*, locking: bool) -> Prepared:
    """INSERT ... SELECT of one row: every column of the task, placed last among its top-level
    siblings (by `taskhub_next_top_level_position`, evaluated once the owner's lock is held), and
    a change number; RETURNING the position it took."""
    placed = REVISION.placement.field

    def value(column: Any) -> Any:
        if column.name == placed:
            return func.taskhub_next_top_level_position(
                bindparam("owner_id", type_=tasks.c.owner_id.type),
                bindparam("list_id", type_=tasks.c.list_id.type),
                type_=tasks.c.position.type,
            )
        return bindparam(column.name, type_=column.type)

    row = select(*(value(column) for column in COLUMNS), NEXT_CHANGE)
    if locking:
        row = row.select_from(LOCKED)
    statement = insert(tasks).from_select([*(c.name for c in COLUMNS), "change_seq"], row)
    return Prepared.of(statement.returning(tasks.c[placed]), name="tasks.insert")


# A new top-level task, in the inbox or in a list.
INSERT_TOP_LEVEL: Final = Write(plain=_insert(locking=False), locking=_insert(locking=True))

# A deletion leaves a tombstone for the change feed: a new version and change number, as any
# revision, and the time it was deleted.
_TOMBSTONE: Final[dict[str, Any]] = {
    "deleted_at": bindparam("at", type_=tasks.c.deleted_at.type),
    REVISION.clock: bindparam("at", type_=tasks.c.deleted_at.type),
    REVISION.counter: tasks.c[REVISION.counter] + 1,
    "change_seq": NEXT_CHANGE,
}


def _delete(*, checked: bool, locking: bool) -> Prepared:
    statement = update(tasks).where(BY_ID_AND_OWNER).values(**_TOMBSTONE)
    if checked:
        statement = versioned(statement)
    if locking:
        statement = statement.where(LOCKED.c.held.is_not(None))
    return Prepared.of(statement, name="tasks.delete")


DELETE: Final = Write(
    plain=_delete(checked=False, locking=False), locking=_delete(checked=False, locking=True)
)
DELETE_IF_VERSION: Final = Write(
    plain=_delete(checked=True, locking=False), locking=_delete(checked=True, locking=True)
)

# Maintenance, across owners, in one statement: the oldest tombstones go, and the watermark rises
# past the change numbers they held (greatest() ignores the NULL of an empty batch).
_DOOMED = (
    select(tasks.c.id)
    .where(tasks.c.deleted_at < bindparam("deleted_before", type_=tasks.c.deleted_at.type))
    .limit(bindparam("batch_size", type_=Integer))
    # Purgers on several instances take different rows instead of queueing on the same ones.
    .with_for_update(skip_locked=True)
)
_PURGED = (
    delete(tasks).where(tasks.c.id.in_(_DOOMED.scalar_subquery())).returning(tasks.c.change_seq).cte("purged")
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
PURGE_TOMBSTONES: Final = Prepared.of(
    select(func.count()).select_from(_PURGED).add_cte(_RAISED), name="tasks.purge_tombstones"
)
