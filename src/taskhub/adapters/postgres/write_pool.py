"""The connections of writing units of work: a pool of their own (driver_pool.py), each use in a
transaction that the unit of work commits, and that is rolled back otherwise."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from taskhub.adapters.postgres.driver_pool import DriverPool, PooledConnection
from taskhub.adapters.postgres.engine import PoolSettings
from taskhub.adapters.postgres.errors import storage_errors
from taskhub.adapters.postgres.url import PoolerMode

_log = logging.getLogger(__name__)


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
            finally:
                if connection.is_in_transaction():
                    await _roll_back(connection)


async def _roll_back(connection: PooledConnection) -> None:
    # When the rollback fails or is cancelled, the connection's state is unknown: it must not
    # serve another request. Closed, it takes the transaction with it, and the pool replaces it.
    try:
        await connection.execute("ROLLBACK")
    except Exception:
        # Whatever ended the unit of work is the error worth reporting, not this one.
        _log.warning("rolling back failed; the connection is closed instead", exc_info=True)
        connection.terminate()
    except BaseException:
        connection.terminate()
        raise
