"""Readiness on PostgreSQL: the database answers quickly and its schema is the one we expect."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from taskhub.adapters.postgres.errors import connect, storage_errors
from taskhub.ports.repositories import StorageUnavailable


class PostgresReadiness:
    def __init__(self, engine: AsyncEngine, expected_revision: str, timeout_seconds: float = 2.0) -> None:
        self._engine = engine
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
        connection = await connect(self._engine)
        try:
            async with storage_errors():
                exists = await connection.scalar(text("SELECT to_regclass('alembic_version') IS NOT NULL"))
                if not exists:
                    return None
                revision = await connection.scalar(text("SELECT version_num FROM alembic_version"))
                return None if revision is None else str(revision)
        finally:
            await connection.close()
