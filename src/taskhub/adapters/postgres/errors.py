"""Driver errors become port errors here, at the edge of the adapter.

Which failures are worth retrying: the connection went away (`08*`, reset, refused, Neon waking
its compute up: `57P03`), the server is shutting down (`57P01`, `57P02`), too many connections
(`53300`), or the transaction lost a race (`40001` serialization, `40P01` deadlock). Those are
marked `retryable` unless they happened during COMMIT, whose outcome is then unknown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

import asyncpg
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from taskhub.ports.repositories import StorageUnavailable

# What "the database is not there right now" looks like from asyncpg and SQLAlchemy's pool.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout, OSError, TimeoutError)
_RETRYABLE_STATES: Final = frozenset({"40001", "40P01", "57P01", "57P02", "57P03", "53300"})
_RETRYABLE_CLASSES: Final = ("08",)


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, PoolTimeout):
        # Every connection is busy: waiting again would only stretch the client's wait.
        return False
    if isinstance(exc, OSError | TimeoutError | asyncpg.InterfaceError):
        return True
    if isinstance(exc, asyncpg.PostgresError):
        state = exc.sqlstate or ""
        return state in _RETRYABLE_STATES or state.startswith(_RETRYABLE_CLASSES)
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        state = getattr(exc.orig, "sqlstate", None) or ""
        return (
            state in _RETRYABLE_STATES
            or state.startswith(_RETRYABLE_CLASSES)
            or isinstance(exc, InterfaceError)
        )
    return False


async def connect(engine: AsyncEngine) -> AsyncConnection:
    """A pooled connection, or StorageUnavailable.

    Whatever stops us from connecting (down, refused, bad credentials, unknown database), the
    request cannot be served now; the cause goes to the log, never to the client.
    """
    try:
        return await engine.connect()
    except (DBAPIError, *UNAVAILABLE) as exc:
        raise StorageUnavailable("The database cannot be reached.", retryable=is_transient(exc)) from exc


@asynccontextmanager
async def storage_errors(*, committing: bool = False) -> AsyncIterator[None]:
    try:
        yield
    except (DBAPIError, asyncpg.PostgresError, asyncpg.InterfaceError, *UNAVAILABLE) as exc:
        transient = is_transient(exc)
        if not transient and not isinstance(exc, UNAVAILABLE | asyncpg.InterfaceError):
            raise
        raise StorageUnavailable(
            "The database is unavailable.", retryable=transient and not committing
        ) from exc
