"""One database transaction per use case, on a connection of the write pool; or, for a read-only
use case, a connection of the read pool and no transaction (read_pool.py, write_pool.py)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Self

from taskhub.adapters.postgres.driver_pool import PooledConnection
from taskhub.adapters.postgres.errors import storage_errors
from taskhub.adapters.postgres.idempotency import AsyncpgIdempotencyStore
from taskhub.adapters.postgres.read_pool import ReadPool
from taskhub.adapters.postgres.reader import AsyncpgTaskReader
from taskhub.adapters.postgres.repository import AsyncpgTaskRepository
from taskhub.adapters.postgres.write_pool import WritePool
from taskhub.ports.repositories import TaskRepository


class PostgresUnitOfWork:
    """Rolls back unless `commit()` ran; the repository never commits on its own.

    Read-only (`reading()`): `tasks` reads on a connection of the read pool, and there is no
    `idempotency` store."""

    tasks: TaskRepository
    idempotency: AsyncpgIdempotencyStore

    def __init__(self, writes: WritePool, reads: ReadPool) -> None:
        self._writes = writes
        self._reads = reads
        self._read_only = False
        self._scope: AbstractAsyncContextManager[PooledConnection] | None = None
        self._connection: PooledConnection | None = None

    def reading(self) -> Self:
        self._read_only = True
        return self

    async def __aenter__(self) -> Self:
        if self._read_only:
            scope = self._reads.connection()
            self.tasks = AsyncpgTaskReader(await scope.__aenter__())
        else:
            scope = self._writes.transaction()
            self._connection = await scope.__aenter__()
            self.tasks = AsyncpgTaskRepository(self._connection)
            self.idempotency = AsyncpgIdempotencyStore(self._connection)
        self._scope = scope
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        scope, self._scope, self._connection = self._scope, None, None
        if scope is not None:
            # Gives the connection back, rolling back what was not committed.
            await scope.__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("commit() in a read-only unit of work")
        if self._connection is None:
            raise RuntimeError("commit() outside `async with`")
        async with storage_errors(committing=True):
            await self._connection.execute("COMMIT")
