"""Readiness on PostgreSQL: the database answers quickly and its schema is the one we expect.

It asks on a pool of its own (one connection, the run-time driver's): a main pool busy with slow
requests must not make a healthy database look down, nor the other way round.
"""

from __future__ import annotations

import asyncio

import asyncpg

from taskhub.adapters.postgres.driver_pool import DriverPool
from taskhub.adapters.postgres.errors import storage_errors
from taskhub.ports.repositories import StorageUnavailable


class PostgresReadiness:
    def __init__(self, pool: DriverPool, expected_revision: str, timeout_seconds: float = 2.0) -> None:
        self._pool = pool
        self._expected_revision = expected_revision
        self._timeout = timeout_seconds

    async def problems(self) -> list[str]:
        try:
            revision = await asyncio.wait_for(self._current_revision(), self._timeout)
        except (StorageUnavailable, TimeoutError):
            return ["database unavailable"]
        if revision != self._expected_revision:
            return ["database schema is not at the latest migration"]
        return []

    async def _current_revision(self) -> str | None:
        async with self._pool.acquire() as connection:
            try:
                async with storage_errors():
                    revision = await connection.fetchval("SELECT version_num FROM alembic_version")
            except StorageUnavailable as exc:
                if isinstance(exc.__cause__, asyncpg.UndefinedTableError):
                    return None  # never migrated
                raise
        return None if revision is None else str(revision)
