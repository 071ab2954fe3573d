"""The listing: one statement per shape of query (sort, cursor or not, which filters), built and
compiled on first use and cached; the values of a request only fill its parameters. Keyset pages:
strictly after the cursor's (sort value, id), in an index's order, never OFFSET (docs/sync.md)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnElement,
    Integer,
    Select,
    String,
    any_,
    bindparam,
    func,
    literal_column,
    select,
    tuple_,
)

from taskhub.adapters.postgres.placement import in_list
from taskhub.adapters.postgres.prepared import Prepared
from taskhub.adapters.postgres.tables import (
    DUE_AT_ASC,
    DUE_AT_DESC,
    POSITION_SORT,
    SEARCH_CONFIG,
    TITLE_SORT,
    tasks,
)
from taskhub.adapters.postgres.task_columns import COLUMNS
from taskhub.domain.listing import INBOX, TOP_LEVEL, Inbox, Sort, SortField, TopLevel
from taskhub.domain.model import UserId
from taskhub.ports.repositories import TaskQuery


@dataclass(frozen=True, slots=True)
class _ListingShape:
    """What decides the text of a listing statement; the values are its parameters."""

    sort: Sort
    after: bool
    # A due-date cursor sitting on "no due date" compares with the sort key's stand-in, a literal.
    after_undated: bool
    completed: bool
    priorities: bool
    tags: bool
    due_before: bool
    due_after: bool
    text: bool
    # A list's tasks (True), the inbox's (INBOX), or any (False).
    in_list: bool | Inbox
    # A task's subtasks (True), the top-level tasks (TOP_LEVEL), or any (False).
    under: bool | TopLevel = False


def listing(owner: UserId, query: TaskQuery) -> tuple[Prepared, dict[str, Any]]:
    """The listing statement for this query's shape, and its parameters."""
    wanted, after = query.filter, query.after
    parameters: dict[str, Any] = {"owner": owner, "limit": query.limit}
    if wanted.completed is not None:
        parameters["completed"] = wanted.completed
    if wanted.priorities is not None:
        parameters["priorities"] = sorted(p.rank for p in wanted.priorities)
    if wanted.tags is not None:
        parameters["tags"] = sorted(wanted.tags)
    if wanted.due_before is not None:
        parameters["due_before"] = wanted.due_before
    if wanted.due_after is not None:
        parameters["due_after"] = wanted.due_after
    if wanted.text is not None:
        parameters["text"] = wanted.text
    if wanted.list_id is not None and wanted.list_id is not INBOX:
        parameters["list_id"] = wanted.list_id
    if wanted.parent_id is not None and wanted.parent_id is not TOP_LEVEL:
        parameters["parent_id"] = wanted.parent_id
    undated = after is not None and query.sort.field is SortField.DUE_AT and after.value is None
    if after is not None:
        parameters["after_id"] = after.id
        if not undated:
            parameters["boundary"] = after.value
    shape = _ListingShape(
        sort=query.sort,
        after=after is not None,
        after_undated=undated,
        completed=wanted.completed is not None,
        priorities=wanted.priorities is not None,
        tags=wanted.tags is not None,
        due_before=wanted.due_before is not None,
        due_after=wanted.due_after is not None,
        text=wanted.text is not None,
        in_list=INBOX if wanted.list_id is INBOX else wanted.list_id is not None,
        under=TOP_LEVEL if wanted.parent_id is TOP_LEVEL else wanted.parent_id is not None,
    )
    return _listing_statement(shape), parameters


def _sort_key(sort: Sort) -> ColumnElement[Any]:
    match sort.field:
        case SortField.CREATED_AT:
            return tasks.c.created_at
        case SortField.UPDATED_AT:
            return tasks.c.updated_at
        case SortField.PRIORITY:
            return tasks.c.priority
        case SortField.TITLE:
            return TITLE_SORT
        case SortField.DUE_AT:
            return DUE_AT_DESC if sort.descending else DUE_AT_ASC
        case SortField.POSITION:
            return POSITION_SORT


def _conditions(shape: _ListingShape) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        tasks.c.owner_id == bindparam("owner", type_=String),
        tasks.c.deleted_at.is_(None),
    ]
    if shape.completed:
        conditions.append(tasks.c.completed == bindparam("completed", type_=Boolean))
    if shape.priorities:
        conditions.append(tasks.c.priority == any_(bindparam("priorities", type_=ARRAY(Integer))))
    if shape.tags:
        conditions.append(tasks.c.tags.contains(bindparam("tags", type_=tasks.c.tags.type)))
    if shape.due_before:
        conditions.append(tasks.c.due_at < bindparam("due_before", type_=tasks.c.due_at.type))
    if shape.due_after:
        conditions.append(tasks.c.due_at >= bindparam("due_after", type_=tasks.c.due_at.type))
    if shape.text:
        query = func.websearch_to_tsquery(SEARCH_CONFIG, bindparam("text", type_=String))
        conditions.append(tasks.c.search_vector.op("@@")(query))
    if shape.in_list is not False:
        conditions.append(in_list(tasks, "list_id", inbox=shape.in_list is INBOX))
    if shape.under is TOP_LEVEL:
        conditions.append(tasks.c.parent_id.is_(None))
    elif shape.under:
        conditions.append(tasks.c.parent_id == bindparam("parent_id", type_=tasks.c.parent_id.type))
    return conditions


# Shapes are few (sorts x cursor x filter combinations) and each statement is small: bounded.
@functools.lru_cache(maxsize=1024)
def _listing_statement(shape: _ListingShape) -> Prepared:
    key = _sort_key(shape.sort)
    statement: Select[Any] = select(*COLUMNS).where(*_conditions(shape))
    if shape.after:
        if shape.after_undated:
            boundary: Any = literal_column(
                "'-infinity'::timestamptz" if shape.sort.descending else "'infinity'::timestamptz"
            )
        else:
            boundary = bindparam("boundary", type_=key.type)
        position, start = (
            tuple_(key, tasks.c.id),
            tuple_(boundary, bindparam("after_id", type_=tasks.c.id.type)),
        )
        statement = statement.where(position < start if shape.sort.descending else position > start)
    if shape.sort.descending:
        statement = statement.order_by(key.desc(), tasks.c.id.desc())
    else:
        statement = statement.order_by(key.asc(), tasks.c.id.asc())
    return Prepared.of(statement.limit(bindparam("limit", type_=Integer)), name="tasks.find")
