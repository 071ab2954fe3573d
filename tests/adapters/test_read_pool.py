"""The read pool at PostgreSQL, directly and through PgBouncer (the query side reads on it)."""

from __future__ import annotations

import time
from contextlib import AsyncExitStack

import pytest

from taskhub.adapters.postgres.engine import PoolSettings
from taskhub.adapters.postgres.read_pool import ReadPool
from taskhub.ports.repositories import StorageUnavailable

pytestmark = pytest.mark.postgres


async def test_warming_opens_every_connection_before_any_request(database_url: str) -> None:
    pool = ReadPool(database_url, PoolSettings(read_size=3))
    try:
        await pool.warm()
        status = pool.status()
        assert (status.idle, status.in_use) == (3, 0)
    finally:
        await pool.close()


async def test_directly_connected_a_read_runs_outside_a_transaction_with_the_statement_timeout(
    database_url: str,
) -> None:
    pool = ReadPool(database_url, PoolSettings(read_size=1, statement_timeout_ms=1234))
    try:
        async with pool.connection() as connection:
            assert not connection.is_in_transaction()
            assert await connection.fetchval("SHOW statement_timeout") == "1234ms"
    finally:
        await pool.close()


async def test_behind_pgbouncer_a_read_runs_in_a_read_only_transaction_with_the_statement_timeout(
    pgbouncer_url: str,
) -> None:
    pool = ReadPool(pgbouncer_url, PoolSettings(read_size=1, statement_timeout_ms=1234), pooler="pgbouncer")
    try:
        for _ in range(2):  # and again on the connection it gave back
            async with pool.connection() as connection:
                assert connection.is_in_transaction()
                assert await connection.fetchval("SHOW statement_timeout") == "1234ms"
                assert await connection.fetchval("SHOW transaction_read_only") == "on"
    finally:
        await pool.close()


async def assert_snapshot_reads(pool: ReadPool) -> None:
    try:
        for _ in range(2):  # and again on the connection it gave back
            async with pool.connection(snapshot=True) as connection:
                assert connection.is_in_transaction()
                assert await connection.fetchval("SHOW transaction_isolation") == "repeatable read"
                assert await connection.fetchval("SHOW transaction_read_only") == "on"
                assert await connection.fetchval("SHOW statement_timeout") == "1234ms"
        # The snapshot ended with its read: the next plain read sees each statement's own state.
        async with pool.connection() as connection:
            assert await connection.fetchval("SHOW transaction_isolation") == "read committed"
    finally:
        await pool.close()


async def test_directly_connected_a_snapshot_read_runs_in_one_repeatable_read_transaction(
    database_url: str,
) -> None:
    await assert_snapshot_reads(ReadPool(database_url, PoolSettings(read_size=1, statement_timeout_ms=1234)))


async def test_behind_pgbouncer_a_snapshot_read_runs_in_one_repeatable_read_transaction(
    pgbouncer_url: str,
) -> None:
    settings = PoolSettings(read_size=1, statement_timeout_ms=1234)
    await assert_snapshot_reads(ReadPool(pgbouncer_url, settings, pooler="pgbouncer"))


async def test_with_every_connection_in_use_a_read_is_refused_within_the_acquire_timeout(
    database_url: str,
) -> None:
    pool = ReadPool(database_url, PoolSettings(read_size=1, acquire_timeout_seconds=0.3))
    try:
        async with pool.connection():
            started = time.monotonic()
            with pytest.raises(StorageUnavailable) as refused:
                async with pool.connection():
                    pass
            assert time.monotonic() - started < 2
            assert not refused.value.retryable  # waiting again would only stretch the wait
    finally:
        await pool.close()


async def test_an_unreachable_database_is_storage_unavailable() -> None:
    pool = ReadPool(
        "postgresql://nobody@127.0.0.1:1/none", PoolSettings(read_size=1, connect_timeout_seconds=1)
    )
    try:
        with pytest.raises(StorageUnavailable):
            async with pool.connection():
                pass
    finally:
        await pool.close()


async def test_closing_does_not_hang_on_a_connection_never_given_back(database_url: str) -> None:
    pool = ReadPool(database_url, PoolSettings(read_size=1))
    stuck = AsyncExitStack()
    await stuck.enter_async_context(pool.connection())
    started = time.monotonic()
    await pool.close(timeout_seconds=0.3)
    assert time.monotonic() - started < 2
    await stuck.aclose()  # the late give-back of a terminated connection is harmless
