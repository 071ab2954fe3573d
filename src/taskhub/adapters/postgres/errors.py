"""Driver errors become port errors here, at the edge of the adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from taskhub.ports.repositories import StorageUnavailable

# What "the database is not there right now" looks like from asyncpg and SQLAlchemy's pool.
_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout, OSError, TimeoutError)


@asynccontextmanager
async def storage_errors() -> AsyncIterator[None]:
    try:
        yield
    except _UNAVAILABLE as exc:
        raise StorageUnavailable("The database is unavailable.") from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise StorageUnavailable("The database connection was lost.") from exc
        raise
