"""The task repository of read-only units of work: the same SQL as repository.py, compiled once,
run on a bare asyncpg connection from the read pool (read_pool.py). It cannot write."""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

from taskhub.adapters.postgres.errors import storage_errors
from taskhub.adapters.postgres.read_pool import ReadConnection
from taskhub.adapters.postgres.statements import CHANGES, GET, WATERMARK, listing, to_change, to_task
from taskhub.domain.model import Task, TaskId, UserId
from taskhub.ports.repositories import Change, TaskQuery


def _read_only() -> NoReturn:
    raise RuntimeError("a read-only unit of work cannot write")


class AsyncpgTaskReader:
    def __init__(self, connection: ReadConnection) -> None:
        self._conn = connection

    async def get(self, owner: UserId, task_id: TaskId) -> Task | None:
        async with storage_errors():
            row = await self._conn.fetchrow(GET.sql, *GET.arguments({"task_id": task_id, "owner": owner}))
        return None if row is None else to_task(row)

    async def find(self, owner: UserId, query: TaskQuery) -> list[Task]:
        statement, parameters = listing(owner, query)
        async with storage_errors():
            rows = await self._conn.fetch(statement.sql, *statement.arguments(parameters))
        return [to_task(row) for row in rows]

    async def changes(self, owner: UserId, *, after: int, limit: int) -> list[Change]:
        async with storage_errors():
            parameters = {"owner": owner, "after": after, "limit": limit}
            rows = await self._conn.fetch(CHANGES.sql, *CHANGES.arguments(parameters))
        return [to_change(row) for row in rows]

    async def sync_watermark(self) -> int:
        async with storage_errors():
            watermark = await self._conn.fetchval(WATERMARK.sql, *WATERMARK.arguments({}))
        return int(watermark or 0)

    async def get_for_change(self, owner: UserId, task_id: TaskId) -> Task | None:
        _read_only()

    async def add(self, task: Task) -> None:
        _read_only()

    async def update(self, owner: UserId, task: Task, *, expected_version: int) -> bool:
        _read_only()

    async def delete(
        self, owner: UserId, task_id: TaskId, *, at: datetime, expected_version: int | None = None
    ) -> bool:
        _read_only()

    async def purge_tombstones(self, *, deleted_before: datetime, batch_size: int) -> int:
        _read_only()
