"""Every family of driver error maps to what it means for the request (adapters/postgres/errors.py):
a 503 the client may retry, a 503 it may not, or a bug that stays a bug (500)."""

from __future__ import annotations

import pytest
from asyncpg import exceptions as pg

from taskhub.adapters.postgres.errors import storage_errors
from taskhub.ports.repositories import StorageUnavailable

RETRIED, UNAVAILABLE, BUG = "retried", "unavailable", "bug"


def family(error: BaseException, outcome: str) -> object:
    return pytest.param(error, outcome, id=type(error).__name__)


FAMILIES = [
    # The connection went away or never came.
    family(ConnectionResetError(), RETRIED),
    family(ConnectionRefusedError(), RETRIED),
    family(TimeoutError(), RETRIED),
    family(pg.InterfaceError("connection is closed"), RETRIED),
    family(pg.ConnectionDoesNotExistError("closed in the middle of operation"), RETRIED),
    family(pg.ConnectionFailureError("failure"), RETRIED),
    family(pg.ProtocolViolationError("protocol"), RETRIED),
    # The server is going away or not there yet (Neon waking a compute up).
    family(pg.AdminShutdownError("shutdown"), RETRIED),
    family(pg.CrashShutdownError("crash"), RETRIED),
    family(pg.CannotConnectNowError("starting up"), RETRIED),
    # A race the transaction lost.
    family(pg.SerializationError("serialization"), RETRIED),
    family(pg.DeadlockDetectedError("deadlock"), RETRIED),
    # Short of resources.
    family(pg.TooManyConnectionsError("too many"), RETRIED),
    family(pg.DiskFullError("disk full"), UNAVAILABLE),
    family(pg.OutOfMemoryError("out of memory"), UNAVAILABLE),
    # Not the database this code expects: not migrated, wrong database, credentials, a replica.
    family(pg.UndefinedTableError('relation "tasks" does not exist'), UNAVAILABLE),
    family(pg.UndefinedColumnError("column does not exist"), UNAVAILABLE),
    family(pg.UndefinedFunctionError("function does not exist"), UNAVAILABLE),
    family(pg.InvalidCatalogNameError("database does not exist"), UNAVAILABLE),
    family(pg.InvalidPasswordError("password authentication failed"), UNAVAILABLE),
    family(pg.ReadOnlySQLTransactionError("read-only transaction"), UNAVAILABLE),
    family(pg.ClientConfigurationError("invalid DSN"), UNAVAILABLE),
    # The server failed, or took too long.
    family(pg.QueryCanceledError("canceling statement due to statement timeout"), UNAVAILABLE),
    family(pg.InternalServerError("internal"), UNAVAILABLE),
    family(pg.PostgresIOError("could not read block"), UNAVAILABLE),
    # Bugs: taskhub sent something the database refuses. They stay what they are.
    family(pg.CheckViolationError("check"), BUG),
    family(pg.UniqueViolationError("unique"), BUG),
    family(pg.NotNullViolationError("not null"), BUG),
    family(pg.ForeignKeyViolationError("foreign key"), BUG),
    family(pg.InvalidTextRepresentationError("invalid input syntax"), BUG),
    family(pg.StringDataRightTruncationError("too long"), BUG),
    family(pg.PostgresSyntaxError("syntax"), BUG),
    family(pg.RaiseError("raised"), BUG),
    family(pg._base.DataError("invalid input for query argument $1"), BUG),
    family(pg._base.UnsupportedClientFeatureError("unsupported"), BUG),
]


@pytest.mark.parametrize(("error", "outcome"), FAMILIES)
async def test_each_family_of_driver_error_means_what_it_says(error: BaseException, outcome: str) -> None:
    if outcome == BUG:
        with pytest.raises(type(error)) as bug:
            async with storage_errors():
                raise error
        assert bug.value is error
        return
    with pytest.raises(StorageUnavailable) as raised:
        async with storage_errors():
            raise error
    assert raised.value.__cause__ is error
    assert raised.value.retryable is (outcome == RETRIED)


@pytest.mark.parametrize(("error", "outcome"), [f for f in FAMILIES if f.values[1] == RETRIED])  # type: ignore[attr-defined]
async def test_no_failure_during_commit_is_retried(error: BaseException, outcome: str) -> None:
    with pytest.raises(StorageUnavailable) as raised:
        async with storage_errors(committing=True):
            raise error
    assert raised.value.retryable is False


async def test_a_schema_that_is_not_migrated_says_so_without_naming_the_table() -> None:
    with pytest.raises(StorageUnavailable) as raised:
        async with storage_errors():
            raise pg.UndefinedTableError('relation "tasks" does not exist')
    assert "tasks" not in str(raised.value)
    assert "schema" in str(raised.value)
