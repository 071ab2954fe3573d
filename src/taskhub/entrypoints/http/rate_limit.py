"""Rate limits with the `limits` library: per user on `/api/*`, per client address for requests
without a valid token (so floods of bad tokens are throttled too).

Counters live in memory (one instance) or in Redis when REDIS_URL is set (shared by every
instance). If the store fails, requests are let through: a Redis outage must not take the API down.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Final

from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter

from taskhub.entrypoints.http.metrics import RATE_LIMIT_ERRORS, RATE_LIMITED

_log = logging.getLogger("taskhub.rate_limit")

SCOPE_KEY: Final = "taskhub.rate_limit"


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }


class RateLimited(Exception):
    """Over the limit: answered with 429 and Retry-After."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        super().__init__("Too many requests; retry later.")


class RateLimits:
    def __init__(self, *, per_user: int, per_address: int, redis_url: str | None = None) -> None:
        storage: Storage = (
            RedisStorage(f"async+{redis_url}", implementation="redispy") if redis_url else MemoryStorage()
        )
        self._limiter = FixedWindowRateLimiter(storage)
        self._per_user = RateLimitItemPerMinute(per_user)
        self._per_address = RateLimitItemPerMinute(per_address)

    async def for_user(self, user: str) -> Decision:
        return await self._hit(self._per_user, "user", user)

    async def for_address(self, address: str) -> Decision:
        return await self._hit(self._per_address, "address", address)

    async def _hit(self, item: RateLimitItem, scope: str, identity: str) -> Decision:
        try:
            allowed = await self._limiter.hit(item, scope, identity)
            stats = await self._limiter.get_window_stats(item, scope, identity)
        except Exception:  # the store is down or misbehaving: fail open, loudly
            RATE_LIMIT_ERRORS.inc()
            _log.warning("rate-limit store unavailable; request let through", exc_info=True)
            return Decision(allowed=True, limit=item.amount, remaining=item.amount, reset_seconds=60)
        decision = Decision(
            allowed=allowed,
            limit=item.amount,
            remaining=max(stats.remaining, 0),
            reset_seconds=max(math.ceil(stats.reset_time - time.time()), 0),
        )
        if not allowed:
            RATE_LIMITED.labels(scope).inc()
        return decision
