"""Rate limits: per user on `/api/*`, per client address for requests without a valid token (so
floods of bad tokens are throttled too).

Fixed one-minute windows aligned to the clock: a hit is one counter increment, and the headers
(`RateLimit-Remaining`, `RateLimit-Reset`) follow from the count and the clock, with no second
question to the store. Counters live in this process (one instance) or in Redis when REDIS_URL
is set (shared by every instance, through the `limits` library's storage: one round trip per
request). If the store fails, requests are let through: a Redis outage must not take the API down.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Final, Protocol

from limits.aio.storage import RedisStorage

from taskhub.entrypoints.http.metrics import RATE_LIMIT_ERRORS, RATE_LIMITED
from taskhub.ports.clock import Clock

_log = logging.getLogger("taskhub.rate_limit")

SCOPE_KEY: Final = "taskhub.rate_limit"
WINDOW_SECONDS: Final = 60
# Identities counted in one window by one process; past that, new ones pass uncounted. Each one
# costs about 100 bytes, and an attacker spraying addresses gains nothing a fresh address would
# not give them anyway.
MAX_TRACKED_IDENTITIES: Final = 100_000


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def header_pairs(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset_seconds).encode()),
        ]


class RateLimited(Exception):
    """Over the limit: answered with 429 and Retry-After."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        super().__init__("Too many requests; retry later.")


class WindowCounters(Protocol):
    async def increment(self, key: str, window: int) -> int:
        """Adds one to `key`'s count in `window` and returns the new count."""


class InProcessCounters:
    """The current window's counts, in this process. A window's counts are dropped when the next
    window starts, so memory holds one minute of identities and there is no expiry sweep.

    (The `limits` library's in-memory storage starts an asyncio task on every hit that scans every
    key for expiry: O(users) work per request on the hottest path.)
    """

    def __init__(self, capacity: int = MAX_TRACKED_IDENTITIES) -> None:
        self._capacity = capacity
        self._window = -1
        self._counts: dict[str, int] = {}

    async def increment(self, key: str, window: int) -> int:
        if window != self._window:
            self._window, self._counts = window, {}
        count = self._counts.get(key)
        if count is None:
            if len(self._counts) >= self._capacity:
                return 1
            count = 0
        self._counts[key] = count + 1
        return count + 1


# REDIS_URL's forms (redis-py's) as the `limits` library names them.
_LIMITS_SCHEMES: Final = {"redis": "async+redis", "rediss": "async+rediss", "unix": "async+redis+unix"}


def limits_storage_uri(redis_url: str) -> str:
    """`redis://`, `rediss://` (TLS) or `unix:///path/to/socket` as the `limits` storage URI."""
    scheme, separator, rest = redis_url.partition("://")
    if not separator or scheme not in _LIMITS_SCHEMES:
        raise ValueError("REDIS_URL must be a redis://, rediss:// or unix:// URL")
    return f"{_LIMITS_SCHEMES[scheme]}://{rest}"


class RedisCounters:
    """Counts shared by every instance, one Redis key per identity and window."""

    def __init__(self, redis_url: str) -> None:
        self._storage = RedisStorage(limits_storage_uri(redis_url), implementation="redispy")

    async def increment(self, key: str, window: int) -> int:
        # INCR and EXPIRE in one script (one round trip); the key outlives its window a little so
        # instances whose clocks differ by a few seconds still count into the same key.
        return await self._storage.incr(f"taskhub:{key}:{window}", WINDOW_SECONDS * 2)


class RateLimits:
    def __init__(
        self,
        *,
        per_user: int,
        per_address: int,
        clock: Clock,
        redis_url: str | None = None,
    ) -> None:
        self._clock = clock
        self._counters: WindowCounters = RedisCounters(redis_url) if redis_url else InProcessCounters()
        self._per_user = per_user
        self._per_address = per_address

    async def for_user(self, user: str) -> Decision:
        return await self._hit(self._per_user, "user", user)

    async def for_address(self, address: str) -> Decision:
        return await self._hit(self._per_address, "address", address)

    async def _hit(self, limit: int, scope: str, identity: str) -> Decision:
        now = self._clock.now().timestamp()
        window = int(now // WINDOW_SECONDS)
        reset_seconds = math.ceil((window + 1) * WINDOW_SECONDS - now)
        try:
            count = await self._counters.increment(f"{scope}/{identity}", window)
        except Exception:  # the store is down or misbehaving: fail open, loudly
            RATE_LIMIT_ERRORS.inc()
            _log.warning("rate-limit store unavailable; request let through", exc_info=True)
            return Decision(allowed=True, limit=limit, remaining=limit, reset_seconds=reset_seconds)
        allowed = count <= limit
        if not allowed:
            RATE_LIMITED.labels(scope).inc()
        return Decision(
            allowed=allowed, limit=limit, remaining=max(limit - count, 0), reset_seconds=reset_seconds
        )
