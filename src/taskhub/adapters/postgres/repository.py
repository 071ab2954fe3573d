"""The task repository on PostgreSQL: the statements of statements.py, compiled once, on a bare
asyncpg connection. In a writing unit of work the connection is in the unit of work's transaction
(write_pool.py), or, for an optimistic one, in none: every statement then commits as it completes.
reader.py is the same repository for read-only units of work, refusing to write.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from taskhub.adapters.postgres.driver_pool import PooledConnection
from taskhub.adapters.postgres.errors import storage_errors
from taskhub.adapters.postgres.statements import (
    CHANGES,
    DELETE,
    DELETE_IF_VERSION,
    GET,
    GET_FOR_CHANGE,
    INSERT,
    PURGE_TOMBSTONES,
    RAISE_WATERMARK,
    SERIALIZED_DELETE,
    SERIALIZED_DELETE_IF_VERSION,
    SERIALIZED_INSERT,
    SERIALIZED_UPDATE,
    UPDATE,
    WATERMARK,
    Prepared,
    affected_rows,
    listing,
    lock_name,
    patching,
    to_change,
    to_task,
    values_of,
)
from taskhub.domain.model import Task, TaskId, TaskPatch, UserId
from taskhub.domain.preconditions import VersionCondition
from taskhub.ports.repositories import Change, TaskQuery


class AsyncpgTaskRepository:
    """`in_transaction=False`: the connection is in autocommit (an optimistic unit of work). A
    write is then committed, or not, by its own statement: when it fails, whether it took effect
    is unknown, so the failure is not retryable."""

    def __init__(self, connection: PooledConnection, *, in_transaction: bool = True) -> None:
        self._conn = connection
        self._in_transaction = in_transaction
        # Owners whose change lock this transaction holds (statements.py, CHANGE_LOCK).
        self._serialized: set[UserId] = set()

    async def _written(
        self,
        owner: UserId,
        statement: Prepared,
        serialized: Prepared,
        parameters: dict[str, Any],
        run: Callable[..., Awaitable[Any]],
    ) -> Any:
        """Runs the `serialized` form, which takes the owner's change lock, unless this
        transaction holds that lock already, with `run` (execute, fetchrow)."""
        if owner not in self._serialized:
            statement, parameters["lock_name"] = serialized, lock_name(owner)
        async with storage_errors(committing=not self._in_transaction):
            result = await run(statement.sql, *statement.arguments(parameters))
        if self._in_transaction:
            self._serialized.add(owner)
        return result

    async def _write(
        self, owner: UserId, statement: Prepared, serialized: Prepared, parameters: dict[str, Any]
    ) -> int:
        status = await self._written(owner, statement, serialized, parameters, self._conn.execute)
        return affected_rows(status)

    async def add(self, task: Task) -> None:
        parameters = {
            "task_id": task.id,
            "owner": task.owner_id,
            "created_at": task.created_at,
            **values_of(task),
        }
        await self._write(task.owner_id, INSERT, SERIALIZED_INSERT, parameters)

    async def get(self, owner: UserId, task_id: TaskId) -> Task | None:
        async with storage_errors():
            row = await self._conn.fetchrow(GET.sql, *GET.arguments({"task_id": task_id, "owner": owner}))
        return None if row is None else to_task(row)

    async def get_for_change(self, owner: UserId, task_id: TaskId) -> Task | None:
        if owner in self._serialized or not self._in_transaction:
            # Outside a transaction a lock would end with the read: the write takes it instead.
            return await self.get(owner, task_id)
        # The owner's change lock rides on the read (one round trip); it is taken only when the
        # task exists, which is the only case where a write follows.
        parameters = {"task_id": task_id, "owner": owner, "lock_name": lock_name(owner)}
        async with storage_errors():
            row = await self._conn.fetchrow(GET_FOR_CHANGE.sql, *GET_FOR_CHANGE.arguments(parameters))
        if row is None:
            return None
        self._serialized.add(owner)
        return to_task(row)

    async def update(self, owner: UserId, task: Task, *, expected_version: int) -> bool:
        parameters = {
            "task_id": task.id,
            "owner": owner,
            "expected_version": expected_version,
            **values_of(task),
        }
        return await self._write(owner, UPDATE, SERIALIZED_UPDATE, parameters) == 1

    async def apply_patch(
        self,
        owner: UserId,
        task_id: TaskId,
        patch: TaskPatch,
        *,
        now: datetime,
        condition: VersionCondition | None = None,
    ) -> Task | None:
        statements = patching(owner, task_id, patch, now=now, condition=condition)
        if statements is None:
            return None
        statement, serialized, parameters = statements
        row = await self._written(owner, statement, serialized, parameters, self._conn.fetchrow)
        return None if row is None else to_task(row)

    async def delete(
        self, owner: UserId, task_id: TaskId, *, at: datetime, expected_version: int | None = None
    ) -> bool:
        parameters: dict[str, Any] = {"task_id": task_id, "owner": owner, "at": at}
        if expected_version is None:
            return await self._write(owner, DELETE, SERIALIZED_DELETE, parameters) == 1
        parameters["expected_version"] = expected_version
        return await self._write(owner, DELETE_IF_VERSION, SERIALIZED_DELETE_IF_VERSION, parameters) == 1

    async def find(self, owner: UserId, query: TaskQuery) -> list[Task]:
        statement, parameters = listing(owner, query)
        async with storage_errors():
            rows = await self._conn.fetch(statement.sql, *statement.arguments(parameters))
        return [to_task(row) for row in rows]

    async def changes(self, owner: UserId, *, after: int, limit: int) -> list[Change]:
        parameters = {"owner": owner, "after": after, "limit": limit}
        async with storage_errors():
            rows = await self._conn.fetch(CHANGES.sql, *CHANGES.arguments(parameters))
        return [to_change(row) for row in rows]

    async def purge_tombstones(self, *, deleted_before: datetime, batch_size: int) -> int:
        parameters = {"deleted_before": deleted_before, "batch_size": batch_size}
        async with storage_errors():
            purged = await self._conn.fetch(PURGE_TOMBSTONES.sql, *PURGE_TOMBSTONES.arguments(parameters))
        if purged:
            highest = max(row["change_seq"] for row in purged)
            async with storage_errors():
                await self._conn.execute(
                    RAISE_WATERMARK.sql, *RAISE_WATERMARK.arguments({"purged_through": highest})
                )
        return len(purged)

    async def sync_watermark(self) -> int:
        async with storage_errors():
            watermark = await self._conn.fetchval(WATERMARK.sql, *WATERMARK.arguments({}))
        return int(watermark or 0)
