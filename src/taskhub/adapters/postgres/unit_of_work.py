"""The unit of work on PostgreSQL: one transaction, on a connection of the write pool, that costs
no round trip of its own when it does not need one.

Reads run at once. Write commands wait (`Command`) and are sent by `commit()`: a lone command is
sent on its own, and PostgreSQL runs a statement outside a transaction block as a transaction of
its own, committed when it completes: all or nothing, one round trip. Anything more (several
commands, a read after a write, a claim that holds a lock until the end, `flush()`) opens a
transaction with BEGIN first, and `commit()` ends it with COMMIT. Leaving without `commit()`
rolls back what was begun and drops what waits. On Neon every round trip is a network hop: a
create is one (the INSERT), an edit one (its UPDATE), a delete one.

Behind PgBouncer in transaction mode the statement timeout can only be set inside a transaction
(`SET LOCAL`), so there every unit of work that writes takes one.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, Self

from taskhub.adapters.postgres.change_lock import HOLD, LOCK_PARAMETER, lock_name
from taskhub.adapters.postgres.commands import Command, Fetch
from taskhub.adapters.postgres.driver_pool import COMMIT, PooledConnection, end_transaction
from taskhub.adapters.postgres.erasure import PostgresAccountRepository
from taskhub.adapters.postgres.errors import storage_errors
from taskhub.adapters.postgres.idempotency import PostgresIdempotencyStore
from taskhub.adapters.postgres.list_repository import PostgresListRepository
from taskhub.adapters.postgres.prepared import Prepared
from taskhub.adapters.postgres.repository import PostgresTaskRepository
from taskhub.adapters.postgres.task_writes import Write
from taskhub.adapters.postgres.write_pool import WritePool
from taskhub.domain.model import UserId


class PostgresUnitOfWork:
    tasks: PostgresTaskRepository
    lists: PostgresListRepository
    idempotency: PostgresIdempotencyStore

    def __init__(self, writes: WritePool) -> None:
        self._writes = writes
        self._scope: AbstractAsyncContextManager[PooledConnection] | None = None
        self._connection: PooledConnection | None = None
        self._waiting: list[Command] = []
        self._in_transaction = False
        # Owners whose change lock this transaction holds (change_lock.py).
        self._locked: set[UserId] = set()
        self._committed = False
        self.tasks = PostgresTaskRepository(self)
        self.lists = PostgresListRepository(self)
        self.idempotency = PostgresIdempotencyStore(self)
        self.accounts = PostgresAccountRepository(self)

    async def __aenter__(self) -> Self:
        if self._scope is not None or self._committed:
            raise RuntimeError("a unit of work is entered once")
        scope = self._writes.acquire()
        self._connection = await scope.__aenter__()
        self._scope = scope
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        scope, connection, begun = self._scope, self._connection, self._in_transaction
        self._scope, self._connection, self._waiting, self._in_transaction = None, None, [], False
        if scope is None or connection is None:
            return
        try:
            # Cancelled (a deadline): no rollback to wait for; the pool closes the connection.
            if begun and not self._committed and (exc is None or isinstance(exc, Exception)):
                await end_transaction(connection, self._writes)
        finally:
            await scope.__aexit__(exc_type, exc, tb)

    # --- what the repository and the idempotency store use ------------------------------------

    def _open(self) -> PooledConnection:
        if self._connection is None or self._committed:
            raise RuntimeError("outside its unit of work (async with), or after its commit")
        return self._connection

    def wait(self, command: Command) -> None:
        self._open()
        self._waiting.append(command)

    async def read(self, statement: Prepared, parameters: dict[str, Any], fetch: Fetch = "fetchrow") -> Any:
        """A read, at once; after the writes that wait, which it may depend on."""
        connection = self._open()
        if self._waiting:
            await self.flush()
        async with storage_errors():
            return await self._writes.run(connection, statement, parameters, fetch)

    async def begin(self) -> None:
        connection = self._open()
        if self._in_transaction:
            return
        async with storage_errors():
            await self._writes.run(connection, self._writes.begin, {}, "execute")
        self._in_transaction = True

    # --- the port --------------------------------------------------------------------------

    async def hold(self, owner: UserId) -> None:
        if owner in self._locked:
            return
        await self.flush()
        async with storage_errors():
            await self._writes.run(self._open(), HOLD, {LOCK_PARAMETER: lock_name(owner)}, "execute")
        self._locked.add(owner)

    async def flush(self) -> None:
        await self.begin()
        await self._send_waiting(committing=False)

    async def commit(self) -> None:
        connection = self._open()
        if (
            not self._in_transaction
            and len(self._waiting) == 1
            and not self._writes.per_transaction_timeout_ms
        ):
            # Sent on its own, the statement is its transaction: whether it committed is unknown
            # if the connection fails under it.
            await self._send_waiting(committing=True)
        elif self._in_transaction or self._waiting:
            await self.flush()
            async with storage_errors(committing=True):
                await self._writes.run(connection, COMMIT, {}, "execute")
        self._committed = True

    async def _send_waiting(self, *, committing: bool) -> None:
        connection = self._open()
        waiting, self._waiting = self._waiting, []
        for command in waiting:
            statement, parameters = command.statement, command.parameters
            if isinstance(statement, Write):
                if command.owner is not None and command.owner not in self._locked:
                    statement, parameters = (
                        statement.locking,
                        parameters | {LOCK_PARAMETER: lock_name(command.owner)},
                    )
                    if self._in_transaction:
                        self._locked.add(command.owner)
                else:
                    statement = statement.plain
            async with storage_errors(committing=committing):
                result = await self._writes.run(connection, statement, parameters, command.fetch)
            command.answer(result)
