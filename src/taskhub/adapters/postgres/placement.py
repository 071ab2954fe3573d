"""A place's siblings in SQL (the top-level tasks of a list or of the inbox, or the children of a
task), and the last key among them, read from a position index backwards, one row.

A new top-level task is placed by the INSERT itself (`taskhub_next_top_level_position`,
position_sql.py), under the owner's lock like every other write of a task, so creates and moves
of one owner never take the same key.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import ColumnElement, bindparam, literal_column, select

from taskhub.adapters.postgres.tables import tasks

# The siblings, under a name of their own: inside an UPDATE of `tasks` the subquery must not be
# correlated with the row being updated.
_SIBLING: Final = tasks.alias("sibling")


def in_list(table: Any, parameter: str, *, inbox: bool) -> ColumnElement[bool]:
    """Rows of `table` in the list named by `parameter`, or in the inbox."""
    column: ColumnElement[Any] = table.c.list_id
    if inbox:
        return column.is_(None)
    return column == bindparam(parameter, type_=tasks.c.list_id.type)


def at_place(
    table: Any, list_parameter: str, parent_parameter: str, *, inbox: bool, child: bool
) -> list[ColumnElement[bool]]:
    """Rows of `table` among the siblings of one place: the children of the task named by
    `parent_parameter` (which share its list), or the top-level tasks of the list named by
    `list_parameter` (or of the inbox)."""
    if child:
        return [table.c.parent_id == bindparam(parent_parameter, type_=tasks.c.parent_id.type)]
    return [in_list(table, list_parameter, inbox=inbox), table.c.parent_id.is_(None)]


def _last_sibling_key(
    owner_parameter: str, list_parameter: str, parent_parameter: str, *, inbox: bool, child: bool
) -> Any:
    """The owner's last live sibling's key at a place (`at_place`), or NULL: a scalar subquery of
    one row, read backwards from a position index."""
    return (
        select(_SIBLING.c.position)
        .where(
            _SIBLING.c.owner_id == bindparam(owner_parameter, type_=tasks.c.owner_id.type),
            *at_place(_SIBLING, list_parameter, parent_parameter, inbox=inbox, child=child),
            _SIBLING.c.deleted_at.is_(None),
        )
        .order_by(_SIBLING.c.position.collate("C").desc(), _SIBLING.c.id.desc())
        # A literal: with LIMIT as a parameter PostgreSQL planned the statement again on every
        # execution (a prepared statement's generic plan looked dearer): 90-130 us an INSERT
        # that embedded this subquery, measured 2026-12-05 (tests/adapters/test_plan_cache.py).
        .limit(literal_column("1"))
        .scalar_subquery()
    )


def last_key(*, inbox: bool, child: bool) -> Any:
    """`_last_sibling_key` with the parameters `owner`, `list_id` and `parent_id`."""
    return _last_sibling_key("owner", "list_id", "parent_id", inbox=inbox, child=child)
