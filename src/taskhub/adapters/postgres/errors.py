"""Driver errors become port errors here, at the edge of the adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from taskhub.ports.repositories import StorageUnavailable

# What "the database is not there right now" looks like from asyncpg and SQLAlchemy's pool.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout, OSError, TimeoutError)


async def connect(engine: AsyncEngine) -> AsyncConnection:
    """A pooled connection, or StorageUnavailable.

    Whatever stops us from connecting (down, refused, bad credentials, unknown database), the
    request cannot be served now; the cause goes to the log, never to the client.
    """
    try:
        return await engine.connect()
    except (DBAPIError, *UNAVAILABLE) as exc:
        raise StorageUnavailable("The database cannot be reached.") from exc


@asynccontextmanager
async def storage_errors() -> AsyncIterator[None]:
    try:
        yield
    except UNAVAILABLE as exc:
        raise StorageUnavailable("The database is unavailable.") from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise StorageUnavailable("The database connection was lost.") from exc
        raise
