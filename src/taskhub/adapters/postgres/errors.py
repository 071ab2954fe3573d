"""Driver errors become port errors here, at the edge of the adapter.

Every asyncpg error falls in one of these families (SQLSTATE classes, PostgreSQL's appendix A):

- The connection went away or never came: `08*`, reset, refused, closed mid-statement (asyncpg's
  plain `InterfaceError`), a timeout. 503, retried.
- The server is going away or not there yet: `57P01`, `57P02`, `57P03` (Neon waking up). 503,
  retried.
- A race the transaction lost: `40001` serialization, `40P01` deadlock. 503, retried.
- The server is short of something: `53*` (`53300`, too many connections, is retried). 503.
- The database is not the one the code expects: `42P01` table, `42703` column, `42883` function,
  `3D000` database, `28*` credentials, `25006` a read-only server, a URL asyncpg cannot use. 503.
- The server itself failed, or took too long: `58*`, `XX*`, `57014` (statement timeout). 503.
- Anything else (`22*` data, `23*` constraints, other `42*`, a parameter asyncpg cannot encode)
  is a bug in taskhub: re-raised, a 500.

A retry is only allowed (`retryable`) when nothing can have been committed: never for a failure
during COMMIT, or of a statement that commits by itself, whose outcome is unknown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

import asyncpg

from taskhub.ports.repositories import StorageUnavailable

_RETRYABLE_STATES: Final = frozenset({"40001", "40P01", "57P01", "57P02", "57P03", "53300"})
_RETRYABLE_CLASSES: Final = ("08",)
# Not taskhub's fault, nor the client's: the database is out of reach, out of resources, or not
# the schema this code was built for (migrations not run yet). Retrying at once would not help.
_UNAVAILABLE_STATES: Final = frozenset({"42P01", "42703", "42883", "3D000", "25006", "57014"})
_UNAVAILABLE_CLASSES: Final = ("08", "28", "53", "57", "58", "XX")
_CONNECTION_ERRORS: Final = (OSError, TimeoutError)


def is_transient(exc: BaseException) -> bool:
    """A failure that may well not happen again on a fresh connection, a moment later."""
    # asyncpg's InterfaceError itself says the connection is unusable (closed, lost mid-protocol);
    # its subclasses are a parameter it cannot encode or a feature it lacks: bugs, not weather.
    if isinstance(exc, _CONNECTION_ERRORS) or type(exc) is asyncpg.InterfaceError:
        return True
    if isinstance(exc, asyncpg.PostgresError):
        state = exc.sqlstate or ""
        return state in _RETRYABLE_STATES or state.startswith(_RETRYABLE_CLASSES)
    return False


def is_unavailable(exc: BaseException) -> bool:
    """The database cannot serve this request now, through no fault of taskhub's code."""
    if is_transient(exc) or isinstance(exc, asyncpg.ClientConfigurationError):
        return True
    if isinstance(exc, asyncpg.PostgresError):
        state = exc.sqlstate or ""
        return state in _UNAVAILABLE_STATES or state.startswith(_UNAVAILABLE_CLASSES)
    return False


def unavailable(exc: BaseException, *, committing: bool = False) -> StorageUnavailable:
    """The port's error for a driver error of the unavailable families."""
    retryable = is_transient(exc) and not committing
    if isinstance(exc, asyncpg.PostgresError) and (exc.sqlstate or "").startswith(("42", "3D")):
        return StorageUnavailable("The database is not at the schema this version expects.")
    return StorageUnavailable("The database is unavailable.", retryable=retryable)


@asynccontextmanager
async def storage_errors(*, committing: bool = False) -> AsyncIterator[None]:
    """Around driver calls: the unavailable families become `StorageUnavailable`; anything else
    is a bug, and goes on as it is (500, logged without its message: entrypoints/logs.py)."""
    try:
        yield
    except (asyncpg.PostgresError, asyncpg.InterfaceError, *_CONNECTION_ERRORS) as exc:
        if not is_unavailable(exc):
            raise
        raise unavailable(exc, committing=committing) from exc
