"""The statements behind subtasks and moves: a task's subtree and lineage, a place's siblings and
last key, and a task saved whole. They run in a unit of work that holds the owner's change lock
already (`UnitOfWork.hold`), so they take no lock of their own and what they read stays true
until it commits.

A subtree and a lineage are recursive queries that stop at `_DEPTH_GUARD` levels: the domain
keeps trees at most four levels deep and acyclic, and the guard keeps a corrupted row from ever
making a query run without end.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Integer, bindparam, insert, literal, select, update

from taskhub.adapters.postgres.change_lock import NEXT_CHANGE
from taskhub.adapters.postgres.placement import at_place, last_key
from taskhub.adapters.postgres.prepared import Prepared
from taskhub.adapters.postgres.tables import POSITION_SORT, tasks
from taskhub.adapters.postgres.task_columns import BY_ID_AND_OWNER, COLUMNS
from taskhub.adapters.postgres.task_fields import COLUMN_NAMES
from taskhub.domain.tree import MAX_DEPTH

_DEPTH_GUARD: Final = 2 * MAX_DEPTH
_OWNER = bindparam("owner", type_=tasks.c.owner_id.type)


def _family(*, down: bool) -> Prepared:
    """The task and its descendants (down) or ancestors (up), by level, nearest first."""
    start = select(*COLUMNS, literal(1, type_=Integer).label("level")).where(BY_ID_AND_OWNER)
    family = start.cte("family", recursive=True)
    relative = tasks.alias("relative")
    link = relative.c.parent_id == family.c.id if down else relative.c.id == family.c.parent_id
    step = select(*(relative.c[name] for name in COLUMN_NAMES), family.c.level + 1).where(
        link,
        relative.c.owner_id == _OWNER,
        relative.c.deleted_at.is_(None),
        family.c.level < _DEPTH_GUARD,
    )
    family = family.union_all(step)
    ordered = select(*(family.c[name] for name in COLUMN_NAMES)).order_by(
        family.c.level, family.c.position.collate("C"), family.c.id
    )
    return Prepared.of(ordered, name="tasks.subtree" if down else "tasks.lineage")


SUBTREE: Final = _family(down=True)
LINEAGE: Final = _family(down=False)


def _siblings(*, inbox: bool, child: bool) -> Prepared:
    return Prepared.of(
        select(tasks.c.id, tasks.c.position)
        .where(
            tasks.c.owner_id == _OWNER,
            *at_place(tasks, "list_id", "parent_id", inbox=inbox, child=child),
            tasks.c.deleted_at.is_(None),
        )
        .order_by(POSITION_SORT, tasks.c.id),
        name="tasks.siblings",
    )


# By place: (inbox, child). A child's place is its parent, whose list it shares.
SIBLINGS: Final = {
    (inbox, child): _siblings(inbox=inbox, child=child) for inbox in (True, False) for child in (True, False)
}
LAST_KEY: Final = {
    (inbox, child): Prepared.of(select(last_key(inbox=inbox, child=child)), name="tasks.last_key")
    for inbox in (True, False)
    for child in (True, False)
}

# Every column but the ones a task never changes (its id, owner, creation time).
_SAVED: Final = tuple(name for name in COLUMN_NAMES if name not in {"id", "owner_id", "created_at"})
SAVE: Final = Prepared.of(
    update(tasks)
    .where(tasks.c.id == bindparam("id", type_=tasks.c.id.type), tasks.c.owner_id == _OWNER)
    .where(tasks.c.deleted_at.is_(None))
    .values(**{name: bindparam(name, type_=tasks.c[name].type) for name in _SAVED}, change_seq=NEXT_CHANGE),
    name="tasks.save",
)
# A task placed by the use case (its key given), inserted with a change number.
INSERT_PLACED: Final = Prepared.of(
    insert(tasks).values(
        **{name: bindparam(name, type_=tasks.c[name].type) for name in COLUMN_NAMES}, change_seq=NEXT_CHANGE
    ),
    name="tasks.insert_placed",
)
