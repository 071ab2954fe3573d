"""The task repository on PostgreSQL inside a transaction: SQLAlchemy Core on a pooled connection.

Every statement goes through SQLAlchemy, which is what starts the transaction on the connection
(its asyncpg adapter begins lazily, on the first statement): bypassing it here would run that
statement outside the transaction. Reads outside a transaction use reader.py.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from taskhub.adapters.postgres.errors import storage_errors
from taskhub.adapters.postgres.statements import (
    CHANGES,
    DELETE,
    DELETE_IF_VERSION,
    GET,
    GET_FOR_CHANGE,
    INSERT,
    SERIALIZE_CHANGES,
    SERIALIZED_INSERT,
    UPDATE,
    WATERMARK,
    listing,
    lock_name,
    to_change,
    to_task,
    values_of,
)
from taskhub.adapters.postgres.tables import sync_state, tasks
from taskhub.domain.model import Task, TaskId, UserId
from taskhub.ports.repositories import Change, TaskQuery


class SqlAlchemyTaskRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection
        self._serialized: set[UserId] = set()

    async def _serialize_changes(self, owner: UserId) -> None:
        if owner in self._serialized:
            return
        async with storage_errors():
            await self._conn.execute(SERIALIZE_CHANGES, {"lock_name": lock_name(owner)})
        self._serialized.add(owner)

    async def add(self, task: Task) -> None:
        parameters = {
            "task_id": task.id,
            "owner": task.owner_id,
            "created_at": task.created_at,
            **values_of(task),
        }
        statement = INSERT
        if task.owner_id not in self._serialized:
            statement, parameters["lock_name"] = SERIALIZED_INSERT, lock_name(task.owner_id)
        async with storage_errors():
            await self._conn.execute(statement, parameters)
        self._serialized.add(task.owner_id)

    async def get(self, owner: UserId, task_id: TaskId) -> Task | None:
        async with storage_errors():
            found = (await self._conn.execute(GET.statement, {"task_id": task_id, "owner": owner})).first()
        return None if found is None else to_task(found._mapping)

    async def get_for_change(self, owner: UserId, task_id: TaskId) -> Task | None:
        if owner in self._serialized:
            return await self.get(owner, task_id)
        # The owner's change lock rides on the read (one round trip); it is taken only when the
        # task exists, which is the only case where a write follows.
        parameters = {"task_id": task_id, "owner": owner, "lock_name": lock_name(owner)}
        async with storage_errors():
            row = (await self._conn.execute(GET_FOR_CHANGE, parameters)).first()
        if row is None:
            return None
        self._serialized.add(owner)
        return to_task(row._mapping)

    async def update(self, owner: UserId, task: Task, *, expected_version: int) -> bool:
        await self._serialize_changes(owner)
        parameters = {
            "task_id": task.id,
            "owner": owner,
            "expected_version": expected_version,
            **values_of(task),
        }
        async with storage_errors():
            result = await self._conn.execute(UPDATE, parameters)
        return result.rowcount == 1

    async def delete(
        self, owner: UserId, task_id: TaskId, *, at: datetime, expected_version: int | None = None
    ) -> bool:
        await self._serialize_changes(owner)
        parameters: dict[str, object] = {"task_id": task_id, "owner": owner, "at": at}
        statement = DELETE
        if expected_version is not None:
            statement, parameters["expected_version"] = DELETE_IF_VERSION, expected_version
        async with storage_errors():
            result = await self._conn.execute(statement, parameters)
        return result.rowcount == 1

    async def find(self, owner: UserId, query: TaskQuery) -> list[Task]:
        statement, parameters = listing(owner, query)
        async with storage_errors():
            rows = (await self._conn.execute(statement.statement, parameters)).all()
        return [to_task(row._mapping) for row in rows]

    async def changes(self, owner: UserId, *, after: int, limit: int) -> list[Change]:
        parameters = {"owner": owner, "after": after, "limit": limit}
        async with storage_errors():
            rows = (await self._conn.execute(CHANGES.statement, parameters)).all()
        return [to_change(row._mapping) for row in rows]

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
            watermark = await self._conn.scalar(WATERMARK.statement)
        return int(watermark or 0)
