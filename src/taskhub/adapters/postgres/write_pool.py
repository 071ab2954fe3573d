"""The connections of units of work that write: a pool of their own (driver_pool.py), so a flood
of reads cannot starve writes of connections, nor the other way round."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from taskhub.adapters.postgres.driver_pool import DriverPool, PooledConnection, end_transaction
from taskhub.adapters.postgres.engine import PoolSettings
from taskhub.adapters.postgres.errors import storage_errors
from taskhub.adapters.postgres.prepared import Prepared
from taskhub.adapters.postgres.url import PoolerMode


class WritePool(DriverPool):
    def __init__(self, database_url: str, pool: PoolSettings, pooler: str = PoolerMode.AUTO) -> None:
        super().__init__(database_url, pool, pooler, size=pool.size)
        begin = "BEGIN"
        if self.per_transaction_timeout_ms:
            # Behind PgBouncer: one round trip still (the simple query protocol takes both).
            begin += f"; SET LOCAL statement_timeout = {int(self.per_transaction_timeout_ms)}"
        # What starts a transaction on a connection of this pool.
        self.begin = Prepared.text(begin, name="BEGIN")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PooledConnection]:
        """A connection in a new transaction, rolled back when the block ends unless its holder
        committed it; for maintenance and tests (units of work begin their own)."""
        async with self.acquire() as connection:
            async with storage_errors():
                await self.run(connection, self.begin, {}, "execute")
            try:
                yield connection
            except Exception:
                await end_transaction(connection, self)
                raise
            else:
                await end_transaction(connection, self)
            # Cancelled: no rollback to wait for; acquire() closes the connection, which ends it.
