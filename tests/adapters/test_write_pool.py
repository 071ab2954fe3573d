"""Units of work at PostgreSQL (directly and through PgBouncer): a lone write sent at commit as a
statement of its own, a transaction for anything more, nothing kept without commit()."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from taskhub.adapters.postgres.engine import PoolSettings
from taskhub.adapters.postgres.unit_of_work import PostgresUnitOfWork
from taskhub.adapters.postgres.write_pool import WritePool
from taskhub.ports.repositories import StorageUnavailable
from tests.conftest import plain_dsn
from tests.factories import make_task, user

pytestmark = pytest.mark.postgres


@pytest.fixture
async def pgbouncer_writes(pgbouncer_url: str) -> AsyncIterator[WritePool]:
    writes = WritePool(pgbouncer_url, PoolSettings(size=1, statement_timeout_ms=1234), "pgbouncer")
    yield writes
    await writes.close()


async def stored_titles(database_url: str) -> list[str]:
    """What another session sees: only what has been committed."""
    connection = await asyncpg.connect(plain_dsn(database_url))
    try:
        return [row["title"] for row in await connection.fetch("SELECT title FROM tasks ORDER BY title")]
    finally:
        await connection.close()


async def test_a_flushed_write_is_rolled_back_without_commit_and_the_connection_comes_back_clean(
    write_pool: WritePool, database_url: str, clean_tables: None
) -> None:
    async with PostgresUnitOfWork(write_pool) as uow:
        uow.tasks.add(make_task(user(), "kept back"))
        await uow.flush()
        assert await stored_titles(database_url) == []
    assert await stored_titles(database_url) == []
    async with write_pool.acquire() as connection:
        assert not connection.is_in_transaction()  # what the next request gets


async def test_a_lone_write_is_sent_at_commit_as_a_statement_of_its_own(
    write_pool: WritePool, database_url: str, clean_tables: None
) -> None:
    async with PostgresUnitOfWork(write_pool) as uow:
        uow.tasks.add(make_task(user(), "at commit"))
        assert await stored_titles(database_url) == []
        await uow.commit()
        assert await stored_titles(database_url) == ["at commit"]
    async with write_pool.acquire() as connection:
        assert not connection.is_in_transaction()


async def test_behind_pgbouncer_a_transaction_carries_the_statement_timeout(
    pgbouncer_writes: WritePool,
) -> None:
    for _ in range(2):  # and again on the connection it gave back
        async with pgbouncer_writes.transaction() as connection:
            assert connection.is_in_transaction()
            assert await connection.fetchval("SHOW statement_timeout") == "1234ms"


async def test_behind_pgbouncer_even_a_lone_write_takes_a_transaction(
    pgbouncer_writes: WritePool, database_url: str, clean_tables: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Outside a transaction PgBouncer could not keep the statement timeout: there is none to set.
    sent: list[str] = []

    def recording(method: str) -> Any:
        original = getattr(asyncpg.Connection, method)

        async def recorded(self: asyncpg.Connection, query: str, *args: object, **kwargs: object) -> Any:
            sent.append(query.split(maxsplit=1)[0].rstrip(";"))
            return await original(self, query, *args, **kwargs)

        return recorded

    # The INSERT returns the position it gave the task, so it is a fetch, not an execute.
    for method in ("execute", "fetch", "fetchrow", "fetchval"):
        monkeypatch.setattr(asyncpg.Connection, method, recording(method))
    async with PostgresUnitOfWork(pgbouncer_writes) as uow:
        uow.tasks.add(make_task(user(), "in a transaction"))
        await uow.commit()
    assert sent == ["BEGIN", "INSERT", "COMMIT"]
    assert await stored_titles(database_url) == ["in a transaction"]


@pytest.mark.parametrize(("in_a_transaction", "retryable"), [(True, True), (False, False)])
async def test_a_write_cut_off_mid_statement_is_retryable_only_inside_a_transaction(
    database_url: str, clean_tables: None, in_a_transaction: bool, retryable: bool
) -> None:
    # In a transaction nothing was committed, so the use case may run again; a lone statement
    # commits by itself, so whether it took effect is unknown and it must not run twice.
    owner = user()
    pool = WritePool(database_url, PoolSettings(size=1))
    holder = await asyncpg.connect(plain_dsn(database_url))
    try:
        await holder.execute("BEGIN")
        await holder.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"changes\x1f{owner}")

        async def write() -> None:
            async with PostgresUnitOfWork(pool) as uow:
                uow.tasks.add(make_task(owner))  # waits for the owner's change lock
                if in_a_transaction:
                    await uow.flush()
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
