"""Building the async engine (and its pool) from a database URL and pool settings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import pool as sa_pool
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from taskhub.adapters.postgres.timestamps import SESSION_SETTINGS
from taskhub.adapters.postgres.url import (
    ConnectionTarget,
    PoolerMode,
    log_dropped_parameters,
    parse_database_url,
)


@dataclass(frozen=True, slots=True)
class PoolSettings:
    """Defaults suit Neon: a modest pool per worker, connections recycled before Neon's idle
    timeout drops them, a short wait for a free connection so overload becomes a quick 503."""

    # The pool of writing units of work (write_pool.py). It never opens connections past its size:
    # closing such extras as soon as they come back was one new connection per request under a
    # steady load just above the size (a TLS handshake on Neon), and tails of hundreds of ms.
    size: int = 10
    acquire_timeout_seconds: float = 5.0
    recycle_seconds: int = 300
    connect_timeout_seconds: float = 5.0
    statement_timeout_ms: int = 10_000
    # The pool of read-only units of work (read_pool.py). Neither pool pings a connection before
    # lending it: that is a round trip per request, and a connection the server dropped fails its
    # first statement with a transient error that the use case retries on a fresh one anyway.
    read_size: int = 10


def _prepared_statement_name() -> str:
    # PgBouncer in transaction mode hands each transaction any server connection: names must
    # never collide with a statement another client prepared there.
    return f"__taskhub_{uuid.uuid4().hex}__"


def driver_arguments(target: ConnectionTarget, pool: PoolSettings) -> dict[str, Any]:
    """What `asyncpg.connect` takes besides the address and credentials."""
    arguments: dict[str, Any] = {"timeout": pool.connect_timeout_seconds, **target.connect_args}
    # The driver pools read timestamps as text, which only these settings make ISO 8601 in UTC
    # (timestamps.py): they win over the URL's.
    server_settings = {"application_name": "taskhub", **target.server_settings, **SESSION_SETTINGS}
    if target.behind_pgbouncer:
        # PgBouncer refuses unknown startup parameters (statement_timeout is set per transaction
        # instead, see driver_pool.py) and cannot keep prepared statements across transactions.
        # It knows DateStyle and TimeZone: it sets them on whichever server connection it lends.
        server_settings = {"application_name": server_settings["application_name"], **SESSION_SETTINGS}
        arguments["statement_cache_size"] = 0
    elif pool.statement_timeout_ms:
        server_settings["statement_timeout"] = str(pool.statement_timeout_ms)
    arguments["server_settings"] = server_settings
    return arguments


def connect_arguments(target: ConnectionTarget, pool: PoolSettings) -> dict[str, Any]:
    """SQLAlchemy's `connect_args`: the driver's, and its asyncpg adapter's own."""
    arguments = driver_arguments(target, pool)
    if target.behind_pgbouncer:
        arguments |= {
            "prepared_statement_cache_size": 0,
            "prepared_statement_name_func": _prepared_statement_name,
        }
    return arguments


def create_engine(
    database_url: str, pool: PoolSettings | None = None, pooler: str = PoolerMode.AUTO
) -> AsyncEngine:
    """`pool=None` gives an engine without a pool (migrations, one-off commands)."""
    target = parse_database_url(database_url, pooler)
    log_dropped_parameters(target)
    arguments = connect_arguments(target, pool or PoolSettings())
    if pool is None:
        engine = create_async_engine(target.url, poolclass=sa_pool.NullPool, connect_args=arguments)
    else:
        engine = create_async_engine(
            target.url,
            pool_size=pool.size,
            max_overflow=0,
            pool_timeout=pool.acquire_timeout_seconds,
            pool_recycle=pool.recycle_seconds,
            connect_args=arguments,
        )
    return engine
