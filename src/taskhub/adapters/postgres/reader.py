"""The query side on PostgreSQL: committed tasks and lists, each read on a connection of the read pool
(read_pool.py), outside any transaction when directly connected unless it takes several statements
that must agree. It cannot write."""

from __future__ import annotations

from typing import Any

from taskhub.adapters.postgres.commands import Fetch
from taskhub.adapters.postgres.errors import storage_errors
from taskhub.adapters.postgres.list_rows import to_list
from taskhub.adapters.postgres.list_statements import ALL_LISTS, GET_LIST, LIST_CHANGES
from taskhub.adapters.postgres.listing import listing
from taskhub.adapters.postgres.prepared import Prepared
from taskhub.adapters.postgres.read_pool import ReadPool
from taskhub.adapters.postgres.task_reads import CHANGES, GET, WATERMARK
from taskhub.adapters.postgres.task_rows import to_task
from taskhub.domain.lists import TaskList
from taskhub.domain.model import ListId, Task, TaskId, UserId
from taskhub.ports.accounts import erasure_digest
from taskhub.ports.repositories import Change, ListChange, TaskQuery


def _task_change(row: Any) -> Change:
    return Change(
        sequence=row["change_seq"],
        task_id=TaskId(row["id"]),
        task=None if row["deleted_at"] is not None else to_task(row),
    )


class PostgresTaskReader:
    def __init__(self, reads: ReadPool) -> None:
        self._reads = reads

    async def _run(self, statement: Prepared, parameters: dict[str, Any], fetch: Fetch) -> Any:
        async with self._reads.connection() as connection, storage_errors():
            return await self._reads.run(connection, statement, parameters, fetch)

    async def get(self, owner: UserId, task_id: TaskId) -> Task | None:
        row = await self._run(GET, {"task_id": task_id, "owner": owner}, "fetchrow")
        return None if row is None else to_task(row)

    async def find(self, owner: UserId, query: TaskQuery) -> list[Task]:
        statement, parameters = listing(owner, query)
        return [to_task(row) for row in await self._run(statement, parameters, "fetch")]

    async def changes(self, owner: UserId, *, after: int, limit: int) -> list[Change]:
        rows = await self._run(CHANGES, {"owner": owner, "after": after, "limit": limit}, "fetch")
        return [_task_change(row) for row in rows]

    async def all_changes(self, owner: UserId, *, after: int, limit: int) -> list[Change | ListChange]:
        # Two ordered reads merged: each side's first `limit` holds every entry of the merged first
        # `limit`. Both in one snapshot: a write committed between them could otherwise show its
        # list change while hiding an earlier-numbered task change, and the client's next token
        # would pass that task change for good.
        parameters = {"owner": owner, "after": after, "limit": limit}
        async with self._reads.connection(snapshot=True) as connection, storage_errors():
            task_rows = await self._reads.run(connection, CHANGES, parameters, "fetch")
            list_rows = await self._reads.run(connection, LIST_CHANGES, parameters, "fetch")
        entries: list[Change | ListChange] = [_task_change(row) for row in task_rows]
        entries += (
            ListChange(
                sequence=row["change_seq"],
                list_id=ListId(row["id"]),
                task_list=None if row["deleted_at"] is not None else to_list(row),
            )
            for row in list_rows
        )
        entries.sort(key=lambda entry: entry.sequence)
        return entries[:limit]

    async def get_list(self, owner: UserId, list_id: ListId) -> TaskList | None:
        row = await self._run(GET_LIST, {"owner": owner, "list_id": list_id}, "fetchrow")
        return None if row is None else to_list(row)

    async def lists(self, owner: UserId) -> list[TaskList]:
        return [to_list(row) for row in await self._run(ALL_LISTS, {"owner": owner}, "fetch")]

    async def sync_watermark(self, owner: UserId) -> int:
        return int(await self._run(WATERMARK, {"digest": erasure_digest(owner)}, "fetchval") or 0)
