"""The connections of read-only units of work: a pool of their own (driver_pool.py).

Directly connected, a read runs in autocommit: one round trip. Behind PgBouncer in transaction
mode, it runs in a read-only transaction with `SET LOCAL statement_timeout`, as writes do: the
server connection is only ours inside one. A read of several statements that must agree with each
other asks for a snapshot: one REPEATABLE READ transaction, in either mode.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from taskhub.adapters.postgres.driver_pool import DriverPool, PooledConnection, end_transaction
from taskhub.adapters.postgres.engine import PoolSettings
from taskhub.adapters.postgres.errors import storage_errors
from taskhub.adapters.postgres.prepared import Prepared
from taskhub.adapters.postgres.url import PoolerMode


class ReadPool(DriverPool):
    def __init__(self, database_url: str, pool: PoolSettings, pooler: str = PoolerMode.AUTO) -> None:
        super().__init__(database_url, pool, pooler, size=pool.read_size)

    @asynccontextmanager
    async def connection(self, *, snapshot: bool = False) -> AsyncIterator[PooledConnection]:
        """A connection for one read-only unit of work, or StorageUnavailable. With `snapshot`,
        every statement on it sees the database as of the first one."""
        async with self.acquire() as connection:
            begin = self._begin(snapshot)
            if begin is None:
                yield connection
                return
            async with storage_errors():
                # One round trip (the simple query protocol takes several statements at once).
                await self.run(connection, begin, {}, "execute")
            try:
                yield connection
            except Exception:
                await end_transaction(connection, self)
                raise
            else:
                await end_transaction(connection, self)
            # Cancelled: no rollback to wait for; acquire() closes the connection, which ends it.

    def _begin(self, snapshot: bool) -> Prepared | None:
        """What opens the transaction the read needs; None: autocommit will do."""
        timeout = int(self.per_transaction_timeout_ms or 0)
        if not snapshot and not timeout:
            return None
        begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if snapshot else "BEGIN READ ONLY"
        return Prepared.text(
            f"{begin}; SET LOCAL statement_timeout = {timeout}" if timeout else begin, name="BEGIN"
        )
