"""The task repository on PostgreSQL: SQLAlchemy Core statements, rows mapped by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from taskhub.adapters.postgres.errors import storage_errors
from taskhub.adapters.postgres.tables import (
    DUE_AT_ASC,
    DUE_AT_DESC,
    SEARCH_CONFIG,
    TITLE_SORT,
    sync_state,
    task_change_seq,
    tasks,
)
from taskhub.domain.listing import PageKey, Sort, SortField, TaskFilter
from taskhub.domain.model import Priority, Task, TaskContent, TaskId, UserId
from taskhub.ports.repositories import Change, TaskQuery

# Change numbers. Every write of a user's task takes a transaction-scoped lock on that user before
# drawing its number from `task_change_seq`, and keeps it until commit. So a user's writes commit
# in the order of their numbers, and a client that has read the feed up to N can never see a
# change numbered below N appear later (docs/sync.md).
_CHANGE_LOCK = func.pg_advisory_xact_lock(func.hashtextextended(bindparam("lock_name"), literal_column("0")))
_SERIALIZE_CHANGES = select(_CHANGE_LOCK)
_NEXT_CHANGE = task_change_seq.next_value()

_COLUMNS = (
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


_WRITABLE = (
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

# The hot statements are built once: SQLAlchemy then reuses their cache keys and compiled SQL.
_BY_ID_AND_OWNER = and_(
    tasks.c.id == bindparam("task_id"), tasks.c.owner_id == bindparam("owner"), tasks.c.deleted_at.is_(None)
)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A statement compiled once to asyncpg's SQL, with the order of its parameters."""

    sql: str
    names: tuple[str, ...]

    @classmethod
    def of(cls, statement: Any) -> _Prepared:
        compiled = statement.compile(dialect=postgresql.asyncpg.dialect())  # type: ignore[no-untyped-call]
        return cls(str(compiled), tuple(compiled.positiontup or ()))

    def arguments(self, parameters: dict[str, Any]) -> list[Any]:
        return [parameters[name] for name in self.names]


_GET_STATEMENT = select(*_COLUMNS).where(_BY_ID_AND_OWNER)
# Outside a transaction (read-only units of work) the read goes straight to asyncpg.
_GET = _Prepared.of(_GET_STATEMENT)
_GET_FOR_CHANGE = select(_CHANGE_LOCK.label("serialized"), *_COLUMNS).where(_BY_ID_AND_OWNER)
# The write of an edit: the version check is part of the statement (If-Match, optimistic retries).
_UPDATE = (
    update(tasks)
    .where(_BY_ID_AND_OWNER, tasks.c.version == bindparam("expected_version"))
    .values(
        change_seq=_NEXT_CHANGE,
        **{name: bindparam(name) for name in _WRITABLE},
    )
)


def _lock_name(owner: UserId) -> str:
    return f"changes\x1f{owner}"


def _owned_live(owner: UserId, task_id: TaskId) -> Any:
    # The ownership filter lives in every statement, not only in the use cases.
    return and_(tasks.c.id == task_id, tasks.c.owner_id == owner, tasks.c.deleted_at.is_(None))


def _values(task: Task) -> dict[str, Any]:
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


def _to_task(row: Any) -> Task:
    """From a mapping of column values (an asyncpg Record, or a SQLAlchemy row's `_mapping`)."""
    content = TaskContent(
        title=row["title"],
        description=row["description"],
        completed=row["completed"],
        priority=Priority.from_rank(row["priority"]),
        due_at=row["due_at"],
        time_zone=row["time_zone"],
        tags=tuple(row["tags"]),
    )
    return Task(
        id=TaskId(row["id"]),
        owner_id=UserId(row["owner_id"]),
        content=content,
        completed_at=row["completed_at"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
    )


class SqlAlchemyTaskRepository:
    """`autocommit` (read-only units of work): no transaction is open, so reads may bypass
    SQLAlchemy. Inside a transaction every statement goes through SQLAlchemy, which is what
    starts the transaction on the connection (its asyncpg adapter begins lazily)."""

    def __init__(self, connection: AsyncConnection, *, autocommit: bool = False) -> None:
        self._conn = connection
        self._autocommit = autocommit
        self._serialized: set[UserId] = set()

    async def _serialize_changes(self, owner: UserId) -> None:
        if owner in self._serialized:
            return
        async with storage_errors():
            await self._conn.execute(_SERIALIZE_CHANGES, {"lock_name": _lock_name(owner)})
        self._serialized.add(owner)

    async def add(self, task: Task) -> None:
        await self._serialize_changes(task.owner_id)
        statement = insert(tasks).values(
            id=task.id,
            owner_id=task.owner_id,
            created_at=task.created_at,
            change_seq=_NEXT_CHANGE,
            **_values(task),
        )
        async with storage_errors():
            await self._conn.execute(statement)

    async def get(self, owner: UserId, task_id: TaskId) -> Task | None:
        parameters = {"task_id": task_id, "owner": owner}
        async with storage_errors():
            if self._autocommit:
                # The hottest read: straight to the asyncpg connection under the SQLAlchemy one,
                # SQL compiled once, no per-call statement machinery.
                raw = await self._conn.get_raw_connection()
                row = await raw.driver_connection.fetchrow(_GET.sql, *_GET.arguments(parameters))  # type: ignore[union-attr]
                return None if row is None else _to_task(row)
            found = (await self._conn.execute(_GET_STATEMENT, parameters)).first()
        return None if found is None else _to_task(found._mapping)

    async def get_for_change(self, owner: UserId, task_id: TaskId) -> Task | None:
        if owner in self._serialized:
            return await self.get(owner, task_id)
        # The owner's change lock rides on the read (one round trip); it is taken only when the
        # task exists, which is the only case where a write follows.
        parameters = {"task_id": task_id, "owner": owner, "lock_name": _lock_name(owner)}
        async with storage_errors():
            row = (await self._conn.execute(_GET_FOR_CHANGE, parameters)).first()
        if row is None:
            return None
        self._serialized.add(owner)
        return _to_task(row._mapping)

    async def update(self, owner: UserId, task: Task, *, expected_version: int) -> bool:
        await self._serialize_changes(owner)
        parameters = {
            "task_id": task.id,
            "owner": owner,
            "expected_version": expected_version,
            **_values(task),
        }
        async with storage_errors():
            result = await self._conn.execute(_UPDATE, parameters)
        return result.rowcount == 1

    async def delete(
        self, owner: UserId, task_id: TaskId, *, at: datetime, expected_version: int | None = None
    ) -> bool:
        await self._serialize_changes(owner)
        statement = (
            update(tasks)
            .where(_owned_live(owner, task_id))
            .values(deleted_at=at, updated_at=at, version=tasks.c.version + 1, change_seq=_NEXT_CHANGE)
        )
        if expected_version is not None:
            statement = statement.where(tasks.c.version == expected_version)
        async with storage_errors():
            result = await self._conn.execute(statement)
        return result.rowcount == 1

    async def find(self, owner: UserId, query: TaskQuery) -> list[Task]:
        async with storage_errors():
            rows = (await self._conn.execute(find_statement(owner, query))).all()
        return [_to_task(row._mapping) for row in rows]

    async def changes(self, owner: UserId, *, after: int, limit: int) -> list[Change]:
        statement = (
            select(*_COLUMNS, tasks.c.change_seq, tasks.c.deleted_at)
            .where(tasks.c.owner_id == owner, tasks.c.change_seq > after)
            .order_by(tasks.c.change_seq)
            .limit(limit)
        )
        async with storage_errors():
            rows = (await self._conn.execute(statement)).all()
        return [
            Change(
                sequence=row.change_seq,
                task_id=TaskId(row.id),
                task=None if row.deleted_at is not None else _to_task(row._mapping),
            )
            for row in rows
        ]

    async def purge_tombstones(self, *, deleted_before: datetime, batch_size: int) -> int:
        doomed = (
            select(tasks.c.id)
            .where(tasks.c.deleted_at < deleted_before)
            .limit(batch_size)
            # Purgers on several instances take different rows instead of queueing on the same ones.
            .with_for_update(skip_locked=True)
        )
        purge = delete(tasks).where(tasks.c.id.in_(doomed.scalar_subquery())).returning(tasks.c.change_seq)
        async with storage_errors():
            purged = (await self._conn.execute(purge)).scalars().all()
            if purged:
                await self._conn.execute(
                    update(sync_state)
                    .where(sync_state.c.id == 1)
                    .values(purged_through_seq=func.greatest(sync_state.c.purged_through_seq, max(purged)))
                )
        return len(purged)

    async def sync_watermark(self) -> int:
        async with storage_errors():
            watermark = await self._conn.scalar(
                select(sync_state.c.purged_through_seq).where(sync_state.c.id == 1)
            )
        return int(watermark or 0)


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


def _boundary_value(sort: Sort, key: PageKey) -> Any:
    if sort.field is SortField.DUE_AT and key.value is None:
        # The same stand-in the sort key uses for "no due date".
        return literal_column("'-infinity'::timestamptz" if sort.descending else "'infinity'::timestamptz")
    return key.value


def _filter_conditions(wanted: TaskFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if wanted.completed is not None:
        conditions.append(tasks.c.completed.is_(wanted.completed))
    if wanted.priorities is not None:
        conditions.append(tasks.c.priority.in_(sorted(p.rank for p in wanted.priorities)))
    if wanted.tags is not None:
        conditions.append(tasks.c.tags.contains(sorted(wanted.tags)))
    if wanted.due_before is not None:
        conditions.append(tasks.c.due_at < wanted.due_before)
    if wanted.due_after is not None:
        conditions.append(tasks.c.due_at >= wanted.due_after)
    if wanted.text is not None:
        conditions.append(
            tasks.c.search_vector.op("@@")(func.websearch_to_tsquery(SEARCH_CONFIG, wanted.text))
        )
    return conditions


def find_statement(owner: UserId, query: TaskQuery) -> Select[Any]:
    """The listing query: exposed so a test can EXPLAIN it on a seeded table."""
    key = _sort_key(query.sort)
    statement = select(*_COLUMNS).where(
        tasks.c.owner_id == owner, tasks.c.deleted_at.is_(None), *_filter_conditions(query.filter)
    )
    if query.after is not None:
        boundary = tuple_(_boundary_value(query.sort, query.after), query.after.id)
        position = tuple_(key, tasks.c.id)
        statement = statement.where(position < boundary if query.sort.descending else position > boundary)
    if query.sort.descending:
        statement = statement.order_by(key.desc(), tasks.c.id.desc())
    else:
        statement = statement.order_by(key.asc(), tasks.c.id.asc())
    return statement.limit(query.limit)
