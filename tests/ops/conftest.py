"""Fixtures shared by the operations suites."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg
import pytest

from taskhub.adapters.postgres.migrations import upgrade
from tests.conftest import plain_dsn


@pytest.fixture(scope="module")
def database_with_a_bug(fresh_database: Callable[[], str]) -> str:
    """A database of the module's own whose tasks table refuses titles starting with "Doomed-",
    as a schema out of step with the code would: PostgreSQL's error then quotes the whole row."""
    url = fresh_database()
    upgrade(url)

    async def add_constraint() -> None:
        connection = await asyncpg.connect(plain_dsn(url))
        try:
            await connection.execute(
                "ALTER TABLE tasks ADD CONSTRAINT simulated_bug CHECK (title NOT LIKE 'Doomed-%')"
            )
        finally:
            await connection.close()

    asyncio.run(add_constraint())
    return url
