"""The connections of units of work: asyncpg pools, without SQLAlchemy's pool in between.

Each request is one to four short statements. Through SQLAlchemy's pool, its connection wrapper
and its execution machinery, the overhead around a statement cost about a tenth of a get-one
request's CPU and a fifth of a write's (bench/README.md); asyncpg's pool hands out the bare
connection. Reads and writes each have a pool of their own (read_pool.py, write_pool.py), so a
flood of one cannot starve the other of connections.

The statement timeout: directly connected, it is set when the connection starts. Behind
PgBouncer in transaction mode, startup parameters are refused and the server connection is only
ours inside a transaction, so every unit of work sets it with `SET LOCAL` in its transaction
(`per_transaction_timeout_ms`).

Every statement goes through `run`, which gives it a trace span of its own when tracing is on
(tracing.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from sqlalchemy.dialects import postgresql

from taskhub.adapters.postgres.engine import PoolSettings, driver_arguments
from taskhub.adapters.postgres.errors import is_transient
from taskhub.adapters.postgres.pool import PoolStatus
from taskhub.adapters.postgres.prepared import Prepared
from taskhub.adapters.postgres.timestamps import read_timestamps_as_text
from taskhub.adapters.postgres.url import PoolerMode, parse_database_url
from taskhub.ports.repositories import StorageUnavailable

if TYPE_CHECKING:
    from taskhub.adapters.postgres.commands import Fetch
    from taskhub.adapters.postgres.tracing import StatementSpans

_log = logging.getLogger(__name__)

# The stubs make the proxy generic; at run time it is not subscriptable.
PooledConnection: TypeAlias = "PoolConnectionProxy[asyncpg.Record]"

# A connection a client request hangs on (a silent network) is abandoned after the server-side
# statement timeout plus this margin; the server's own timeout normally fires first.
_CLIENT_TIMEOUT_MARGIN_SECONDS = 5.0

COMMIT: Final = Prepared.text("COMMIT", name="COMMIT")
ROLLBACK: Final = Prepared.text("ROLLBACK", name="ROLLBACK")


async def _keep(_: asyncpg.Connection) -> None:
    """Units of work leave no session state (no SET, LISTEN, cursor or lock outlives their
    transaction; they end it themselves), and asyncpg rolls back a transaction left open anyway:
    asyncpg's default reset, a round trip of four statements per request, has nothing to undo."""


async def quietly(step: Awaitable[Any], what: str) -> None:
    """Runs a step after the work is done: a failure here cannot undo it, so it must not turn the
    request into an error. asyncpg closes a connection whose release failed and replaces it on a
    later acquire."""
    try:
        await step
    except Exception:
        _log.warning("%s failed", what, exc_info=True)


async def end_transaction(connection: PooledConnection, pool: DriverPool) -> None:
    """Rolls back the transaction a unit of work left open (none is open after COMMIT). When the
    rollback fails or is cancelled, the connection's state is unknown: it is closed rather than
    lent again, which ends the transaction too, and the pool replaces it."""
    try:
        open_transaction = connection.is_in_transaction()
    except asyncpg.InterfaceError:
        # Closed under a statement (the server went away): asyncpg has already let go of it,
        # and the transaction went with it.
        return
    if not open_transaction:
        return
    try:
        await pool.run(connection, ROLLBACK, {}, "execute")
    except Exception:
        # Whatever ended the unit of work is the error worth reporting, not this one.
        _log.warning("rolling back failed; the connection is closed instead", exc_info=True)
        connection.terminate()
    except BaseException:
        connection.terminate()
        raise


class DriverPool:
    """`size` connections at most, opened on demand (or all at once by `warm`)."""

    def __init__(
        self, database_url: str, pool: PoolSettings, pooler: str = PoolerMode.AUTO, *, size: int
    ) -> None:
        target = parse_database_url(database_url, pooler)
        _, address = postgresql.asyncpg.dialect().create_connect_args(target.url)  # type: ignore[no-untyped-call]
        self._settings = pool
        self._size = size
        self._connect: dict[str, Any] = {**address, **driver_arguments(target, pool)}
        if pool.statement_timeout_ms:
            self._connect["command_timeout"] = (
                pool.statement_timeout_ms / 1000 + _CLIENT_TIMEOUT_MARGIN_SECONDS
            )
        self.per_transaction_timeout_ms = pool.statement_timeout_ms if target.behind_pgbouncer else 0
        self._pool: asyncpg.Pool | None = None
        self._waiting = 0
        # Set by the app when tracing is on (entrypoints/tracing.py); None: no spans, at no cost.
        self.spans: StatementSpans | None = None

    async def _create(self, min_size: int) -> asyncpg.Pool:
        return await asyncpg.create_pool(
            min_size=min_size,
            max_size=self._size,
            # Connections idle this long are closed (Neon drops idle ones anyway) and reopened
            # on demand.
            max_inactive_connection_lifetime=self._settings.recycle_seconds,
            reset=_keep,
            init=read_timestamps_as_text,
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
    async def acquire(self) -> AsyncIterator[PooledConnection]:
        """A connection, given back when the block ends; or StorageUnavailable."""
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
            yield connection
        except BaseException as exc:
            if not isinstance(exc, Exception):
                # Cancelled (a request's deadline passed) in the middle of who knows what: finding
                # out would mean waiting on the network again. Closed, it goes back at once, and
                # the pool opens a new one when needed.
                connection.terminate()
            raise
        finally:
            await quietly(pool.release(connection), "returning a connection to the pool")

    def run(
        self, connection: PooledConnection, statement: Prepared, parameters: dict[str, Any], fetch: Fetch
    ) -> Awaitable[Any]:
        """The driver's call sending `statement` on `connection` (one of this pool's) and reading its
        result by `fetch`, in a span of its own when tracing is on. Not a coroutine itself: with
        tracing off, the caller awaits the driver's call directly; what tracing costs then is this
        one function call."""
        call = getattr(connection, fetch)(statement.sql, *statement.arguments(parameters))
        spans = self.spans
        return call if spans is None else spans.around(statement, call, fetch)

    async def warm(self) -> None:
        """Opens every connection now rather than on the first requests after start-up. Unless a
        request opened the pool first (it then connects on demand); raises if the database cannot
        be reached (the pool is then opened on demand too)."""
        if self._pool is None:
            await self._adopt(await self._create(min_size=self._size))

    def status(self) -> PoolStatus:
        if self._pool is None:
            return PoolStatus(in_use=0, idle=0, waiting=self._waiting)
        idle = self._pool.get_idle_size()
        return PoolStatus(in_use=self._pool.get_size() - idle, idle=idle, waiting=self._waiting)

    async def close(self, timeout_seconds: float = 5.0) -> None:
        """Waits for connections in use to come back, then closes them; past the timeout (a stuck
        statement), closes them anyway: shutting down must not hang."""
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        try:
            await asyncio.wait_for(pool.close(), timeout_seconds)
        except TimeoutError:
            pool.terminate()
