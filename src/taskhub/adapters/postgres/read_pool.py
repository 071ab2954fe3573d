"""The connections of read-only units of work: an asyncpg pool of their own, without SQLAlchemy.

Reads are most of the traffic, and each one is a single SELECT. Through SQLAlchemy's pool, its
connection wrapper and the switch to autocommit and back, the checkout cost about a tenth of a
get-one request's CPU (bench/README.md); asyncpg's pool hands out the bare connection. A pool of
their own also keeps a flood of reads from starving writes of connections, and the reverse.

Directly connected, a read runs in autocommit: one round trip, `statement_timeout` set when the
connection starts. Behind PgBouncer in transaction mode, it runs in a read-only transaction with
`SET LOCAL statement_timeout`, as writes do: the server connection is only ours inside one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from sqlalchemy.dialects import postgresql

from taskhub.adapters.postgres.engine import PoolSettings, driver_arguments
from taskhub.adapters.postgres.errors import is_transient, storage_errors
from taskhub.adapters.postgres.pool import PoolStatus
from taskhub.adapters.postgres.url import PoolerMode, parse_database_url
from taskhub.ports.repositories import StorageUnavailable

_log = logging.getLogger(__name__)

# The stubs make the proxy generic; at run time it is not subscriptable.
ReadConnection: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"

# A connection a client request hangs on (a silent network) is abandoned after the server-side
# statement timeout plus this margin; the server's own timeout normally fires first.
_CLIENT_TIMEOUT_MARGIN_SECONDS = 5.0


async def _keep(_: asyncpg.Connection) -> None:
    """Reads leave no session state (no SET, LISTEN, cursor or lock outlives a statement), and
    asyncpg rolls back an unfinished transaction itself: asyncpg's default reset, a round trip
    of four statements per request, has nothing to undo."""


async def _quietly(step: Awaitable[Any]) -> None:
    # After the read: a failure here cannot undo it, so it must not turn the request into an
    # error. asyncpg closes a connection whose release failed and replaces it on a later acquire.
    try:
        await step
    except Exception:
        _log.warning("returning a read connection failed", exc_info=True)


class ReadPool:
    def __init__(self, database_url: str, pool: PoolSettings, pooler: str = PoolerMode.AUTO) -> None:
        target = parse_database_url(database_url, pooler)
        _, address = postgresql.asyncpg.dialect().create_connect_args(target.url)  # type: ignore[no-untyped-call]
        self._settings = pool
        self._connect: dict[str, Any] = {**address, **driver_arguments(target, pool)}
        if pool.statement_timeout_ms:
            self._connect["command_timeout"] = (
                pool.statement_timeout_ms / 1000 + _CLIENT_TIMEOUT_MARGIN_SECONDS
            )
        self._per_transaction_timeout_ms = pool.statement_timeout_ms if target.behind_pgbouncer else 0
        self._pool: asyncpg.Pool | None = None
        self._waiting = 0

    async def _create(self, min_size: int) -> asyncpg.Pool:
        return await asyncpg.create_pool(
            min_size=min_size,
            max_size=self._settings.read_size,
            # Connections idle this long are closed (Neon drops idle ones anyway) and reopened
            # on demand.
            max_inactive_connection_lifetime=self._settings.recycle_seconds,
            reset=_keep,
            **self._connect,
        )

    async def _adopt(self, pool: asyncpg.Pool) -> asyncpg.Pool:
        # Opening awaits: whoever finished first (a request, or `warm`) keeps theirs.
        if self._pool is None:
            self._pool = pool
        else:
            await pool.close()
        return self._pool

    async def _opened(self) -> asyncpg.Pool:
        if self._pool is not None:
            return self._pool
        # min_size=0: nothing connects here, so opening cannot fail or block; connections are
        # made on first use.
        return await self._adopt(await self._create(min_size=0))

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[ReadConnection]:
        """A connection for one read-only unit of work, or StorageUnavailable."""
        pool = await self._opened()
        self._waiting += 1
        try:
            connection = await pool.acquire(timeout=self._settings.acquire_timeout_seconds)
        except TimeoutError as exc:
            # Every connection is busy (or connecting took too long): waiting again would only
            # stretch the client's wait.
            raise StorageUnavailable("The database is busy.", retryable=False) from exc
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise StorageUnavailable("The database cannot be reached.", retryable=is_transient(exc)) from exc
        finally:
            self._waiting -= 1
        try:
            if not self._per_transaction_timeout_ms:
                yield connection
                return
            async with storage_errors():
                # One round trip (the simple query protocol takes both statements at once).
                await connection.execute(
                    f"BEGIN READ ONLY; SET LOCAL statement_timeout = {int(self._per_transaction_timeout_ms)}"
                )
            try:
                yield connection
            finally:
                await _quietly(connection.execute("ROLLBACK"))
        finally:
            await _quietly(pool.release(connection))

    async def warm(self) -> None:
        """Opens every connection now rather than on the first requests after start-up. Unless a
        request opened the pool first (it then connects on demand); raises if the database cannot
        be reached (the pool is then opened on demand too)."""
        if self._pool is None:
            await self._adopt(await self._create(min_size=self._settings.read_size))

    def status(self) -> PoolStatus:
        if self._pool is None:
            return PoolStatus(in_use=0, idle=0, waiting=self._waiting)
        idle = self._pool.get_idle_size()
        return PoolStatus(in_use=self._pool.get_size() - idle, idle=idle, waiting=self._waiting)

    async def close(self, timeout_seconds: float = 5.0) -> None:
        """Waits for connections in use to come back, then closes them; past the timeout (a stuck
        read), closes them anyway: shutting down must not hang."""
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        try:
            await asyncio.wait_for(pool.close(), timeout_seconds)
        except TimeoutError:
            pool.terminate()
