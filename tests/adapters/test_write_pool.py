"""Writing units of work at PostgreSQL (directly and through PgBouncer): the transaction, and the
optimistic unit of work that runs without one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from taskhub.adapters.postgres.engine import PoolSettings
from taskhub.adapters.postgres.read_pool import ReadPool
from taskhub.adapters.postgres.unit_of_work import PostgresUnitOfWork
from taskhub.adapters.postgres.write_pool import WritePool
from taskhub.ports.repositories import StorageUnavailable
from tests.conftest import plain_dsn
from tests.factories import make_task, user

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pgbouncer_pools(pgbouncer_url: str) -> AsyncIterator[tuple[WritePool, ReadPool]]:
    settings = PoolSettings(size=1, read_size=1, statement_timeout_ms=1234)
    writes, reads = (
        WritePool(pgbouncer_url, settings, "pgbouncer"),
        ReadPool(pgbouncer_url, settings, "pgbouncer"),
    )
    yield writes, reads
    await writes.close()
    await reads.close()


async def stored_titles(database_url: str) -> list[str]:
    """What another session sees: only what has been committed."""
    connection = await asyncpg.connect(plain_dsn(database_url))
    try:
        return [row["title"] for row in await connection.fetch("SELECT title FROM tasks ORDER BY title")]
    finally:
        await connection.close()


async def test_a_writing_unit_of_work_is_one_transaction_rolled_back_without_commit(
    write_pool: WritePool, read_pool: ReadPool, database_url: str, clean_tables: None
) -> None:
    owner = user()
    async with PostgresUnitOfWork(write_pool, read_pool) as uow:
        await uow.tasks.add(make_task(owner, "kept back"))
        assert await stored_titles(database_url) == []
    assert await stored_titles(database_url) == []
    async with write_pool.acquire() as connection:
        assert not connection.is_in_transaction()  # what the next request gets


async def test_an_optimistic_write_commits_as_it_runs(
    write_pool: WritePool, read_pool: ReadPool, database_url: str, clean_tables: None
) -> None:
    owner = user()
    async with PostgresUnitOfWork(write_pool, read_pool).optimistic() as uow:
        await uow.tasks.add(make_task(owner, "at once"))
        assert await stored_titles(database_url) == ["at once"]
        await uow.commit()
    assert await stored_titles(database_url) == ["at once"]


async def test_behind_pgbouncer_a_write_runs_in_a_transaction_with_the_statement_timeout(
    pgbouncer_pools: tuple[WritePool, ReadPool],
) -> None:
    writes, _ = pgbouncer_pools
    for _ in range(2):  # and again on the connection it gave back
        async with writes.transaction() as connection:
            assert connection.is_in_transaction()
            assert await connection.fetchval("SHOW statement_timeout") == "1234ms"


async def test_behind_pgbouncer_an_optimistic_write_still_takes_a_transaction(
    pgbouncer_pools: tuple[WritePool, ReadPool], database_url: str, clean_tables: None
) -> None:
    # Outside a transaction PgBouncer could not keep the statement timeout: there is none to set.
    owner = user()
    async with PostgresUnitOfWork(*pgbouncer_pools).optimistic() as uow:
        await uow.tasks.add(make_task(owner, "in a transaction"))
        assert await stored_titles(database_url) == []
        await uow.commit()
    assert await stored_titles(database_url) == ["in a transaction"]


@pytest.mark.parametrize(("optimistic", "retryable"), [(False, True), (True, False)])
async def test_a_write_cut_off_mid_statement_is_retryable_only_inside_a_transaction(
    database_url: str, read_pool: ReadPool, clean_tables: None, optimistic: bool, retryable: bool
) -> None:
    # In a transaction nothing was committed, so the use case may run again; an optimistic write
    # commits by itself, so whether it took effect is unknown and it must not run twice.
    owner = user()
    pool = WritePool(database_url, PoolSettings(size=1))
    holder = await asyncpg.connect(plain_dsn(database_url))
    try:
        await holder.execute("BEGIN")
        await holder.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"changes\x1f{owner}")

        async def write() -> None:
            unit_of_work = PostgresUnitOfWork(pool, read_pool)
            async with unit_of_work.optimistic() if optimistic else unit_of_work as uow:
                await uow.tasks.add(make_task(owner))  # waits for the owner's change lock
                await uow.commit()

        writing = asyncio.create_task(write())
        blocked = None
        for _ in range(100):
            await holder.execute("SELECT pg_stat_clear_snapshot()")  # the view is per transaction
            blocked = await holder.fetchval(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if blocked:
                break
            await asyncio.sleep(0.05)
        assert blocked, "the write never waited for the lock"
        await holder.execute("SELECT pg_terminate_backend($1)", blocked)
        with pytest.raises(StorageUnavailable) as failure:
            await writing
        assert failure.value.retryable is retryable
    finally:
        await holder.close()
        await pool.close()
