"""One database transaction per use case, on a connection of the write pool; for an optimistic
one, a connection of the write pool in autocommit; for a read-only one, a connection of the read
pool and no transaction (read_pool.py, write_pool.py).

Without a transaction a create is one round trip (the INSERT), an edit one (the UPDATE that
applies it in place, `apply_patch`; one more, a read, when it writes nothing), a deletion one; in a
transaction, two more (BEGIN, COMMIT). On Neon every round trip is a network hop.
"""

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
    `idempotency` store. Optimistic (`optimistic()`): `tasks` runs each statement on its own,
    each write committing itself, and there is no `idempotency` store; behind PgBouncer it takes
    a transaction anyway, the only place its statement timeout can be set."""

    tasks: TaskRepository
    idempotency: AsyncpgIdempotencyStore

    def __init__(self, writes: WritePool, reads: ReadPool) -> None:
        self._writes = writes
        self._reads = reads
        self._read_only = False
        self._optimistic = False
        self._in_transaction = False
        self._scope: AbstractAsyncContextManager[PooledConnection] | None = None
        self._connection: PooledConnection | None = None

    def reading(self) -> Self:
        self._read_only = True
        return self

    def optimistic(self) -> Self:
        self._optimistic = True
        return self

    async def __aenter__(self) -> Self:
        if self._read_only:
            scope = self._reads.connection()
            self.tasks = AsyncpgTaskReader(await scope.__aenter__())
        elif self._optimistic and not self._writes.per_transaction_timeout_ms:
            scope = self._writes.acquire()
            self._connection = await scope.__aenter__()
            self.tasks = AsyncpgTaskRepository(self._connection, in_transaction=False)
        else:
            scope = self._writes.transaction()
            self._connection = await scope.__aenter__()
            self._in_transaction = True
            self.tasks = AsyncpgTaskRepository(self._connection)
            if not self._optimistic:
                self.idempotency = AsyncpgIdempotencyStore(self._connection)
        self._scope = scope
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        scope, self._scope, self._connection, self._in_transaction = self._scope, None, None, False
        if scope is not None:
            # Gives the connection back, rolling back what was not committed.
            await scope.__aexit__(exc_type, exc, tb)

    async def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("commit() in a read-only unit of work")
        if self._connection is None:
            raise RuntimeError("commit() outside `async with`")
        if not self._in_transaction:
            return  # the write committed as it ran
        async with storage_errors(committing=True):
            await self._connection.execute("COMMIT")
