"""What the connection pool is doing, for metrics: in use, idle, and requests waiting for one."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

# Requests currently waiting for a connection, per engine (one process, one event loop).
WAITING: Counter[int] = Counter()


@dataclass(frozen=True, slots=True)
class PoolStatus:
    in_use: int
    idle: int
    waiting: int


def pool_status(engine: AsyncEngine) -> PoolStatus:
    pool = engine.sync_engine.pool
    if not isinstance(pool, QueuePool):
        return PoolStatus(in_use=0, idle=0, waiting=WAITING[id(engine)])
    return PoolStatus(in_use=pool.checkedout(), idle=pool.checkedin(), waiting=WAITING[id(engine)])
