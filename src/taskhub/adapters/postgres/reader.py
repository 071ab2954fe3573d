"""The query side on PostgreSQL: committed tasks, each read on a connection of the read pool
(read_pool.py), outside any transaction when directly connected. It cannot write."""

from __future__ import annotations

from typing import Any

from taskhub.adapters.postgres.commands import Fetch
from taskhub.adapters.postgres.errors import storage_errors
from taskhub.adapters.postgres.listing import listing
from taskhub.adapters.postgres.prepared import Prepared
from taskhub.adapters.postgres.read_pool import ReadPool
from taskhub.adapters.postgres.task_reads import CHANGES, GET, WATERMARK
from taskhub.adapters.postgres.task_rows import to_task
from taskhub.domain.model import Task, TaskId, UserId
from taskhub.ports.repositories import Change, TaskQuery


class PostgresTaskReader:
    def __init__(self, reads: ReadPool) -> None:
        self._reads = reads

    async def _run(self, statement: Prepared, parameters: dict[str, Any], fetch: Fetch) -> Any:
        async with self._reads.connection() as connection, storage_errors():
            return await getattr(connection, fetch)(statement.sql, *statement.arguments(parameters))

    async def get(self, owner: UserId, task_id: TaskId) -> Task | None:
        row = await self._run(GET, {"task_id": task_id, "owner": owner}, "fetchrow")
        return None if row is None else to_task(row)

    async def find(self, owner: UserId, query: TaskQuery) -> list[Task]:
        statement, parameters = listing(owner, query)
        return [to_task(row) for row in await self._run(statement, parameters, "fetch")]

    async def changes(self, owner: UserId, *, after: int, limit: int) -> list[Change]:
        rows = await self._run(CHANGES, {"owner": owner, "after": after, "limit": limit}, "fetch")
        return [
            Change(
                sequence=row["change_seq"],
                task_id=TaskId(row["id"]),
                task=None if row["deleted_at"] is not None else to_task(row),
            )
            for row in rows
        ]

    async def sync_watermark(self) -> int:
        return int(await self._run(WATERMARK, {}, "fetchval") or 0)
