"""Building the async engine (and its pool) from a database URL and pool settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

_ASYNC_DRIVER = "postgresql+asyncpg"
_ACCEPTED_SCHEMES = frozenset({"postgres", "postgresql", "postgresql+asyncpg"})


class InvalidDatabaseUrl(ValueError):
    """The URL is not a PostgreSQL URL we can use. The message never contains the password."""


@dataclass(frozen=True, slots=True)
class PoolSettings:
    size: int = 10
    max_overflow: int = 5
    acquire_timeout_seconds: float = 5.0
    recycle_seconds: int = 300
    connect_timeout_seconds: float = 5.0
    statement_timeout_ms: int = 10_000


def asyncpg_url(database_url: str) -> URL:
    """Accept the URL forms providers print and point them at the asyncpg driver."""
    try:
        url = make_url(database_url)
    except Exception as exc:
        raise InvalidDatabaseUrl("DATABASE_URL is not a valid URL") from exc
    if url.drivername not in _ACCEPTED_SCHEMES:
        raise InvalidDatabaseUrl(
            "DATABASE_URL must start with postgresql://, postgres:// or postgresql+asyncpg://"
        )
    if not url.database:
        raise InvalidDatabaseUrl("DATABASE_URL must name a database")
    return url.set(drivername=_ASYNC_DRIVER)


def create_engine(database_url: str, pool: PoolSettings) -> AsyncEngine:
    return create_async_engine(
        asyncpg_url(database_url),
        pool_size=pool.size,
        max_overflow=pool.max_overflow,
        pool_timeout=pool.acquire_timeout_seconds,
        pool_recycle=pool.recycle_seconds,
        # Serverless databases drop idle connections; a ping on checkout hides that from requests.
        pool_pre_ping=True,
        connect_args={
            "timeout": pool.connect_timeout_seconds,
            "server_settings": {
                "application_name": "taskhub",
                "statement_timeout": str(pool.statement_timeout_ms),
            },
        },
    )
