"""The export's reads on PostgreSQL: one REPEATABLE READ, READ ONLY transaction on a read-pool
connection (read_pool.py) per export, so that its lists, zones and tasks agree with each other.

The tasks come through a cursor, `FETCH` by `FETCH`, a batch each: what the process holds is one
batch, however many tasks the user has. Each `FETCH` is a statement of its own, so the statement
timeout (`DB_STATEMENT_TIMEOUT_MS`) bounds one batch, not the whole export, which takes seconds
for 100,000 tasks (and as long as the client takes to download them); each is a trace span of its
own too. The cursor is declared as the snapshot opens: that first statement fixes the snapshot.

A client that goes away mid-export cancels (or abandons) the stream reading this: the snapshot's
block ends, and the pool gets the connection back (closed when cancelled, which ends its
transaction; rolled back otherwise).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

from sqlalchemy import bindparam, func, select

from taskhub.adapters.postgres.commands import Fetch
from taskhub.adapters.postgres.driver_pool import PooledConnection
from taskhub.adapters.postgres.errors import storage_errors
from taskhub.adapters.postgres.list_rows import to_list
from taskhub.adapters.postgres.list_statements import ALL_LISTS
from taskhub.adapters.postgres.prepared import Prepared
from taskhub.adapters.postgres.read_pool import ReadPool
from taskhub.adapters.postgres.tables import tasks
from taskhub.adapters.postgres.task_columns import COLUMNS
from taskhub.adapters.postgres.task_rows import to_task
from taskhub.domain.lists import TaskList
from taskhub.domain.model import Task, UserId
from taskhub.ports.export import ZoneSpan

# What a batch holds: about 0.5 MB of rows and tasks, read in a few milliseconds.
BATCH_SIZE: Final = 500
_CURSOR: Final = "taskhub_export"

_MINE = (tasks.c.owner_id == bindparam("owner", type_=tasks.c.owner_id.type), tasks.c.deleted_at.is_(None))
# The owner's live tasks by creation: read in order from the index (owner_id, created_at, id).
BY_CREATION: Final = Prepared.of(
    select(*COLUMNS).where(*_MINE).order_by(tasks.c.created_at, tasks.c.id), name="export.tasks"
)
DECLARE: Final = dataclasses.replace(
    BY_CREATION, sql=f"DECLARE {_CURSOR} NO SCROLL CURSOR FOR {BY_CREATION.sql}", name="export.declare"
)
ZONES: Final = Prepared.of(
    select(tasks.c.time_zone, func.min(tasks.c.due_at), func.max(tasks.c.due_at))
    .where(*_MINE, tasks.c.due_at.is_not(None), tasks.c.time_zone.is_not(None))
    .group_by(tasks.c.time_zone),
    name="export.zones",
)


class PostgresExportReader:
    def __init__(self, reads: ReadPool, batch_size: int = BATCH_SIZE) -> None:
        self._reads = reads
        self._batch_size = batch_size
        self._fetch = Prepared.text(f"FETCH {int(batch_size)} FROM {_CURSOR}", name="export.fetch")

    @asynccontextmanager
    async def snapshot(self, owner: UserId) -> AsyncIterator[PostgresExportSnapshot]:
        async with self._reads.connection(snapshot=True) as connection:
            snapshot = PostgresExportSnapshot(self._reads, connection, owner, self._fetch, self._batch_size)
            await snapshot.rows(DECLARE, "execute")
            yield snapshot


class PostgresExportSnapshot:
    def __init__(
        self, reads: ReadPool, connection: PooledConnection, owner: UserId, fetch: Prepared, batch_size: int
    ) -> None:
        self._reads = reads
        self._connection = connection
        self._owner = owner
        self._fetch = fetch
        self._batch_size = batch_size

    async def rows(self, statement: Prepared, fetch: Fetch = "fetch") -> Any:
        """`statement`'s result, read in this snapshot, the owner bound (a port error if the
        database fails it)."""
        async with storage_errors():
            return await self._reads.run(self._connection, statement, {"owner": self._owner}, fetch)

    async def lists(self) -> list[TaskList]:
        return [to_list(row) for row in await self.rows(ALL_LISTS)]

    async def tasks(self) -> AsyncIterator[Task]:
        while True:
            rows = await self.rows(self._fetch)
            for row in rows:
                yield to_task(row)
            if len(rows) < self._batch_size:
                return

    async def zones(self) -> list[ZoneSpan]:
        spans = (ZoneSpan(name, first, last) for name, first, last in await self.rows(ZONES))
        return sorted(spans, key=lambda zone: zone.name)
