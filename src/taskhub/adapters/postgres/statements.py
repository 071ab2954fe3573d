"""The SQL the PostgreSQL adapters send, built once, and rows mapped back to tasks.

Each statement is a SQLAlchemy Core construct whose values are all bind parameters, compiled once
to asyncpg's dialect (`Prepared`) and run on a bare asyncpg connection (repository.py); asyncpg
prepares it on the server once per connection. The listing has one statement per *shape* (sort,
cursor or not, which filters), compiled on first use and cached; the values of a request only fill
its parameters. The ownership filter is part of every statement about one user's tasks.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    any_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql

from taskhub.adapters.postgres.tables import (
    DUE_AT_ASC,
    DUE_AT_DESC,
    SEARCH_CONFIG,
    TITLE_SORT,
    sync_state,
    task_change_seq,
    tasks,
)
from taskhub.domain.listing import Sort, SortField
from taskhub.domain.model import Priority, Task, TaskContent, TaskId, TaskPatch, UserId
from taskhub.domain.preconditions import VersionCondition
from taskhub.ports.repositories import Change, TaskQuery

_DIALECT: Final = postgresql.asyncpg.dialect()  # type: ignore[no-untyped-call]

# Change numbers. Every write of a user's task takes a transaction-scoped lock on that user before
# drawing its number from `task_change_seq`, and keeps it until commit. So a user's writes commit
# in the order of their numbers, and a client that has read the feed up to N can never see a
# change numbered below N appear later (docs/sync.md).
CHANGE_LOCK = func.pg_advisory_xact_lock(func.hashtextextended(bindparam("lock_name"), literal_column("0")))
NEXT_CHANGE = task_change_seq.next_value()

# What a task row is, in the order to_task unpacks it (the contract tests' round trips fail on
# any other order).
COLUMNS = (
    tasks.c.id,
    tasks.c.owner_id,
    tasks.c.title,
    tasks.c.description,
    tasks.c.completed,
    tasks.c.completed_at,
    tasks.c.priority,
    tasks.c.due_at,
    tasks.c.time_zone,
    tasks.c.tags,
    tasks.c.created_at,
    tasks.c.updated_at,
    tasks.c.version,
)

WRITABLE = (
    "title",
    "description",
    "completed",
    "completed_at",
    "priority",
    "due_at",
    "time_zone",
    "tags",
    "updated_at",
    "version",
)

BY_ID_AND_OWNER = and_(
    tasks.c.id == bindparam("task_id"), tasks.c.owner_id == bindparam("owner"), tasks.c.deleted_at.is_(None)
)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A statement, and the same compiled once to asyncpg's SQL with the order of its parameters.

    `constants` are the values the statement itself carries (a literal that SQLAlchemy sends as a
    parameter); a request supplies every other one, and a missing one is a KeyError, not a NULL.
    """

    statement: Any
    sql: str
    names: tuple[str, ...]
    constants: dict[str, Any]

    @classmethod
    def of(cls, statement: Any) -> Prepared:
        compiled = statement.compile(dialect=_DIALECT)
        constants = {name: value for name, value in compiled.params.items() if value is not None}
        return cls(statement, str(compiled), tuple(compiled.positiontup or ()), constants)

    def arguments(self, parameters: dict[str, Any]) -> list[Any]:
        return [parameters[name] if name in parameters else self.constants[name] for name in self.names]


# The owner's change lock as a FROM item of the write itself: PostgreSQL evaluates a subquery that
# calls a volatile function on its own (it is never merged into the outer query) before the row it
# feeds, so the change number is drawn under the lock, in one round trip (a test EXPLAINs each
# such write). The first write of an owner in a transaction, and every write made outside one,
# takes the `SERIALIZED_` form; later ones in the same transaction already hold the lock.
_LOCKED = select(CHANGE_LOCK.label("serialized")).subquery("serialized")

GET = Prepared.of(select(*COLUMNS).where(BY_ID_AND_OWNER))
GET_FOR_CHANGE = Prepared.of(select(*COLUMNS, CHANGE_LOCK.label("serialized")).where(BY_ID_AND_OWNER))


def _edit(values: dict[str, Any], *, if_version: bool, serialized: bool) -> Prepared:
    """An UPDATE of one live task that draws a change number. It matches no row when the task is
    gone or, `if_version`, when the stored version is not `expected_version` (If-Match, and the
    optimistic writes: a writer that got in between makes it miss)."""
    statement = update(tasks).where(BY_ID_AND_OWNER).values(change_seq=NEXT_CHANGE, **values)
    if if_version:
        statement = statement.where(tasks.c.version == bindparam("expected_version"))
    if serialized:
        statement = statement.where(_LOCKED.c.serialized.is_not(None))
    return Prepared.of(statement)


_CONTENT: dict[str, Any] = {name: bindparam(name) for name in WRITABLE}
# A deletion leaves a tombstone for the change feed.
_TOMBSTONE: dict[str, Any] = {
    "deleted_at": bindparam("at"),
    "updated_at": bindparam("at"),
    "version": tasks.c.version + 1,
}
UPDATE = _edit(_CONTENT, if_version=True, serialized=False)
SERIALIZED_UPDATE = _edit(_CONTENT, if_version=True, serialized=True)
DELETE = _edit(_TOMBSTONE, if_version=False, serialized=False)
SERIALIZED_DELETE = _edit(_TOMBSTONE, if_version=False, serialized=True)
DELETE_IF_VERSION = _edit(_TOMBSTONE, if_version=True, serialized=False)
SERIALIZED_DELETE_IF_VERSION = _edit(_TOMBSTONE, if_version=True, serialized=True)


# --- edits in place ---------------------------------------------------------------------------
# An edit as one UPDATE ... RETURNING: no read before it, one round trip (bench/README.md). It does
# what Task.patch does (`_revised`), and the contract suite holds it to that method: only the
# fields the patch sets change, completing sets `completed_at`, reopening clears it, a new version
# and change number; a patch that changes nothing matches no row and writes nothing.

_PATCHABLE: Final = ("title", "description", "completed", "priority", "due_at", "time_zone", "tags")


@dataclass(frozen=True, slots=True)
class _PatchShape:
    """What decides the text of a patch statement: the fields set, If-Match, the change lock."""

    fields: tuple[str, ...]
    versioned: bool
    serialized: bool


def patching(
    owner: UserId, task_id: TaskId, patch: TaskPatch, *, now: datetime, condition: VersionCondition | None
) -> tuple[Prepared, Prepared, dict[str, Any]] | None:
    """The statement applying `patch` (plain and SERIALIZED forms) and its parameters; None for a
    patch that sets nothing."""
    changes = patch.changes()
    if not changes:
        return None
    parameters: dict[str, Any] = {"task_id": task_id, "owner": owner, "now": now}
    for name, value in changes.items():
        parameters[f"new_{name}"] = _stored(value)
    # `*` (versions None) asks only that the task exist, which every edit checks anyway.
    versions = condition.versions if condition is not None else None
    if versions is not None:
        parameters["versions"] = sorted(versions)
    fields = tuple(name for name in _PATCHABLE if name in changes)
    return (
        _patch_statement(_PatchShape(fields, versions is not None, serialized=False)),
        _patch_statement(_PatchShape(fields, versions is not None, serialized=True)),
        parameters,
    )


def _stored(value: object) -> object:
    """A patch's value as its column holds it: priorities by rank, tags as an array."""
    if isinstance(value, Priority):
        return value.rank
    if isinstance(value, tuple):
        return list(value)
    return value


# 2 x 2 x 2^7 shapes at most, each statement small: bounded.
@functools.lru_cache(maxsize=512)
def _patch_statement(shape: _PatchShape) -> Prepared:
    new = {name: bindparam(f"new_{name}", type_=tasks.c[name].type) for name in shape.fields}
    now = bindparam("now", type_=tasks.c.updated_at.type)
    values: dict[str, Any] = dict(new)
    if "completed" in new:
        values["completed_at"] = case(
            (tasks.c.completed == new["completed"], tasks.c.completed_at),
            (new["completed"], now),
            else_=null(),
        )
    values |= {"updated_at": now, "version": tasks.c.version + 1, "change_seq": NEXT_CHANGE}
    # Nothing written when nothing changes: the same test as Task._revised's content comparison.
    changed = or_(*(tasks.c[name].is_distinct_from(value) for name, value in new.items()))
    statement = update(tasks).where(BY_ID_AND_OWNER, changed).values(**values).returning(*COLUMNS)
    if shape.versioned:
        statement = statement.where(tasks.c.version == any_(bindparam("versions", type_=ARRAY(Integer))))
    if shape.serialized:
        statement = statement.where(_LOCKED.c.serialized.is_not(None))
    return Prepared.of(statement)


def _insert(*, serialized: bool) -> Prepared:
    """INSERT ... SELECT of one task row, drawing its change number."""
    row = select(
        bindparam("task_id", type_=tasks.c.id.type),
        bindparam("owner", type_=tasks.c.owner_id.type),
        bindparam("created_at", type_=tasks.c.created_at.type),
        NEXT_CHANGE,
        *(bindparam(name, type_=tasks.c[name].type) for name in WRITABLE),
    )
    if serialized:
        row = row.select_from(_LOCKED)
    return Prepared.of(
        insert(tasks).from_select(["id", "owner_id", "created_at", "change_seq", *WRITABLE], row)
    )


INSERT = _insert(serialized=False)
SERIALIZED_INSERT = _insert(serialized=True)
CHANGES = Prepared.of(
    select(*COLUMNS, tasks.c.change_seq, tasks.c.deleted_at)
    .where(tasks.c.owner_id == bindparam("owner"), tasks.c.change_seq > bindparam("after"))
    .order_by(tasks.c.change_seq)
    .limit(bindparam("limit", type_=Integer))
)
WATERMARK = Prepared.of(select(sync_state.c.purged_through_seq).where(sync_state.c.id == 1))
# Maintenance, across owners: the oldest tombstones, then the watermark past the numbers they held.
_DOOMED = (
    select(tasks.c.id)
    .where(tasks.c.deleted_at < bindparam("deleted_before", type_=tasks.c.deleted_at.type))
    .limit(bindparam("batch_size", type_=Integer))
    # Purgers on several instances take different rows instead of queueing on the same ones.
    .with_for_update(skip_locked=True)
)
PURGE_TOMBSTONES = Prepared.of(
    delete(tasks).where(tasks.c.id.in_(_DOOMED.scalar_subquery())).returning(tasks.c.change_seq)
)
RAISE_WATERMARK = Prepared.of(
    update(sync_state)
    .where(sync_state.c.id == 1)
    .values(
        purged_through_seq=func.greatest(
            sync_state.c.purged_through_seq, bindparam("purged_through", type_=BigInteger)
        )
    )
)


def affected_rows(status: str) -> int:
    """The row count of a command tag such as `UPDATE 1` (what asyncpg's `execute` returns)."""
    return int(status.rpartition(" ")[2])


def lock_name(owner: UserId) -> str:
    return f"changes\x1f{owner}"


def values_of(task: Task) -> dict[str, Any]:
    content = task.content
    return {
        "title": content.title,
        "description": content.description,
        "completed": content.completed,
        "completed_at": task.completed_at,
        "priority": content.priority.rank,
        "due_at": content.due_at,
        "time_zone": content.time_zone,
        "tags": list(content.tags),
        "updated_at": task.updated_at,
        "version": task.version,
    }


_WIDTH: Final = len(COLUMNS)
_from_rank = Priority.from_rank


def to_task(row: Any) -> Task:
    """From a row whose first columns are COLUMNS: by position (a list of 50 maps 50 rows, and
    looking each column up by name cost a third of the mapping), restored without re-running the
    content rules the row passed on its way in (TaskContent.restore)."""
    # TaskId and UserId are types only: the row already holds a UUID and a string.
    (
        task_id,
        owner_id,
        title,
        description,
        completed,
        completed_at,
        priority,
        due_at,
        time_zone,
        tags,
        created_at,
        updated_at,
        version,
    ) = row[:_WIDTH]
    content = TaskContent.restore(
        title, description, completed, _from_rank(priority), due_at, time_zone, tuple(tags)
    )
    return Task.restore(task_id, owner_id, content, completed_at, created_at, updated_at, version)


def to_change(row: Any) -> Change:
    return Change(
        sequence=row["change_seq"],
        task_id=TaskId(row["id"]),
        task=None if row["deleted_at"] is not None else to_task(row),
    )


# --- the listing ------------------------------------------------------------------------------


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
    return Prepared.of(statement.limit(bindparam("limit", type_=Integer)))
