"""The task repository on PostgreSQL: SQLAlchemy Core statements, rows mapped by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from taskhub.adapters.postgres.errors import storage_errors
from taskhub.adapters.postgres.tables import tasks
from taskhub.domain.model import Priority, Task, TaskContent, TaskId, UserId
from taskhub.ports.repositories import TaskKey

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
    content = TaskContent(
        title=row.title,
        description=row.description,
        completed=row.completed,
        priority=Priority.from_rank(row.priority),
        due_at=row.due_at,
        time_zone=row.time_zone,
        tags=tuple(row.tags),
    )
    return Task(
        id=TaskId(row.id),
        owner_id=UserId(row.owner_id),
        content=content,
        completed_at=row.completed_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
    )


class SqlAlchemyTaskRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def add(self, task: Task) -> None:
        statement = insert(tasks).values(
            id=task.id, owner_id=task.owner_id, created_at=task.created_at, **_values(task)
        )
        async with storage_errors():
            await self._conn.execute(statement)

    async def get(self, owner: UserId, task_id: TaskId) -> Task | None:
        statement = select(*_COLUMNS).where(_owned_live(owner, task_id))
        async with storage_errors():
            row = (await self._conn.execute(statement)).first()
        return None if row is None else _to_task(row)

    async def update(self, owner: UserId, task: Task, *, expected_version: int) -> bool:
        statement = (
            update(tasks)
            .where(_owned_live(owner, task.id), tasks.c.version == expected_version)
            .values(**_values(task))
        )
        async with storage_errors():
            result = await self._conn.execute(statement)
        return result.rowcount == 1

    async def delete(
        self, owner: UserId, task_id: TaskId, *, at: datetime, expected_version: int | None = None
    ) -> bool:
        statement = (
            update(tasks)
            .where(_owned_live(owner, task_id))
            .values(deleted_at=at, updated_at=at, version=tasks.c.version + 1)
        )
        if expected_version is not None:
            statement = statement.where(tasks.c.version == expected_version)
        async with storage_errors():
            result = await self._conn.execute(statement)
        return result.rowcount == 1

    async def list_newest_first(self, owner: UserId, *, limit: int, after: TaskKey | None) -> list[Task]:
        statement = select(*_COLUMNS).where(tasks.c.owner_id == owner, tasks.c.deleted_at.is_(None))
        if after is not None:
            statement = statement.where(
                tuple_(tasks.c.created_at, tasks.c.id) < tuple_(after.created_at, after.id)
            )
        statement = statement.order_by(tasks.c.created_at.desc(), tasks.c.id.desc()).limit(limit)
        async with storage_errors():
            rows = (await self._conn.execute(statement)).all()
        return [_to_task(row) for row in rows]
