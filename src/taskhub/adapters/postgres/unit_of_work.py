"""One database transaction per use case, on one pooled connection; or, for a read-only use case,
a connection of the read pool (read_pool.py) and no transaction."""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from taskhub.adapters.postgres.errors import connect, storage_errors
from taskhub.adapters.postgres.idempotency import SqlAlchemyIdempotencyStore
from taskhub.adapters.postgres.read_pool import ReadConnection, ReadPool
from taskhub.adapters.postgres.reader import AsyncpgTaskReader
from taskhub.adapters.postgres.repository import SqlAlchemyTaskRepository
from taskhub.ports.repositories import TaskRepository

_log = logging.getLogger(__name__)


class SqlAlchemyUnitOfWork:
    """Rolls back unless `commit()` ran; the repository never commits on its own.

    Read-only (`reading()`) with a read pool: `tasks` reads on a connection of that pool, outside
    any transaction, and there is no `idempotency` store. Without one, reads take a transaction
    like writes do."""

    tasks: TaskRepository
    idempotency: SqlAlchemyIdempotencyStore

    def __init__(
        self, engine: AsyncEngine, statement_timeout_ms: int | None = None, reads: ReadPool | None = None
    ) -> None:
        self._engine = engine
        self._statement_timeout_ms = statement_timeout_ms
        self._reads = reads
        self._read_only = False
        self._connection: AsyncConnection | None = None
        self._reading: AbstractAsyncContextManager[ReadConnection] | None = None

    def reading(self) -> Self:
        self._read_only = True
        return self

    async def __aenter__(self) -> Self:
        if self._read_only and self._reads is not None:
            reading = self._reads.connection()
            self.tasks = AsyncpgTaskReader(await reading.__aenter__())
            self._reading = reading
            return self
        self._connection = await connect(self._engine)
        async with storage_errors():
            try:
                await self._connection.begin()
                if self._statement_timeout_ms is not None:
                    # Behind PgBouncer the timeout cannot be a startup parameter; SET LOCAL keeps
                    # it to this transaction, whichever server connection PgBouncer lends us.
                    await self._connection.exec_driver_sql(
                        f"SET LOCAL statement_timeout = {int(self._statement_timeout_ms)}"
                    )
            except BaseException:
                await self._connection.close()
                raise
        self._bind(self._connection)
        return self

    def _bind(self, connection: AsyncConnection) -> None:
        self.tasks = SqlAlchemyTaskRepository(connection)
        self.idempotency = SqlAlchemyIdempotencyStore(connection)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        reading, self._reading = self._reading, None
        if reading is not None:
            await reading.__aexit__(exc_type, exc, tb)
            return
        connection, self._connection = self._connection, None
        if connection is None:
            return
        # Closing returns the connection to the pool, rolling back whatever was not committed.
        # A failure here cannot undo a commit that already happened, so it must not turn a
        # finished request into an error (the pool discards the broken connection itself).
        try:
            await connection.close()
        except Exception:
            _log.warning("closing a database connection failed", exc_info=True)

    async def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("commit() in a read-only unit of work")
        if self._connection is None:
            raise RuntimeError("commit() outside `async with`")
        async with storage_errors(committing=True):
            await self._connection.commit()
