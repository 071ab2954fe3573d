"""Async Alembic environment: migrations run over asyncpg, one transaction, under a lock."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from taskhub.adapters.postgres.engine import create_engine
from taskhub.adapters.postgres.tables import metadata

# Any fixed number shared by every taskhub instance: concurrent `taskhub migrate` runs queue on it.
MIGRATION_LOCK_KEY = 0x7A5C_4B0B

config = context.config


def _database_url() -> str:
    url = config.attributes.get("database_url") or os.environ.get("DATABASE_URL")
    if not url:
        raise RuntimeError("set DATABASE_URL (or pass database_url) to run migrations")
    return str(url)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        compare_server_default=True,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    engine = create_engine(_database_url(), pooler=config.attributes.get("pooler", "auto"))
    try:
        async with engine.begin() as connection:
            # Transaction-scoped: released by the commit (or rollback) that ends the migration.
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_database_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_online())
