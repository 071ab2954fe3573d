"""The connections of writing units of work: a pool of their own (driver_pool.py), each use in a
transaction that the unit of work commits, and that is rolled back otherwise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from taskhub.adapters.postgres.driver_pool import DriverPool, PooledConnection, end_transaction
from taskhub.adapters.postgres.engine import PoolSettings
from taskhub.adapters.postgres.errors import storage_errors
from taskhub.adapters.postgres.url import PoolerMode


class WritePool(DriverPool):
    def __init__(self, database_url: str, pool: PoolSettings, pooler: str = PoolerMode.AUTO) -> None:
        super().__init__(database_url, pool, pooler, size=pool.size)
        begin = "BEGIN"
        if self.per_transaction_timeout_ms:
            # Behind PgBouncer: one round trip still (the simple query protocol takes both).
            begin += f"; SET LOCAL statement_timeout = {int(self.per_transaction_timeout_ms)}"
        self._begin = begin

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PooledConnection]:
        """A connection in a new transaction; whoever holds it ends it with COMMIT, or leaving
        the block rolls it back. StorageUnavailable when there is no connection to be had."""
        async with self.acquire() as connection:
            async with storage_errors():
                await connection.execute(self._begin)
            try:
                yield connection
            except Exception:
                await end_transaction(connection)
                raise
            else:
                await end_transaction(connection)
            # Cancelled: no rollback to wait for; acquire() closes the connection, which ends it.
