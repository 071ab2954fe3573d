"""What a connection pool is doing, for metrics: in use, idle, and requests waiting for one."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PoolStatus:
    in_use: int
    idle: int
    waiting: int
