"""Running a use case again when the store failed in a way that is safe to retry, within one
deadline for the whole of it."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from taskhub.ports.repositories import StorageUnavailable

_log = logging.getLogger("taskhub.retry")

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded attempts with "full jitter" exponential backoff, so a fleet of instances does not
    hammer a database that is just coming back (Neon waking up, a failover).

    `deadline_seconds` bounds everything a use case waits for from the store: acquiring and
    opening connections, statements, every retry and its backoff. Past it the use case is
    abandoned (what it was waiting on is cancelled) and reported as `StorageUnavailable`, so a
    client gets its 503 in time whatever the network does, a silent one included."""

    attempts: int = 3
    base_delay_seconds: float = 0.05
    max_delay_seconds: float = 1.0
    deadline_seconds: float = 5.0

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_delay_seconds, self.base_delay_seconds * 2**attempt))  # noqa: S311 - jitter, not crypto

    async def run(self, operation: Callable[[], Coroutine[Any, Any, R]]) -> R:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.deadline_seconds
        for attempt in range(1, self.attempts + 1):
            try:
                async with asyncio.timeout_at(deadline):
                    return await operation()
            except TimeoutError as exc:
                # Whether a write in flight took effect is unknown: never retried.
                raise StorageUnavailable("The database did not answer in time.") from exc
            except StorageUnavailable as exc:
                delay = self.delay(attempt)
                if not exc.retryable or attempt == self.attempts or loop.time() + delay >= deadline:
                    raise
                _log.warning("transient storage failure; retrying", extra={"attempt": attempt})
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


class HasRetryPolicy(Protocol):
    @property
    def retry_policy(self) -> RetryPolicy: ...


S = TypeVar("S", bound=HasRetryPolicy)


def retried(
    method: Callable[Concatenate[S, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, R]]:
    """Each attempt runs the whole use case again: a new unit of work, nothing half-done."""

    async def run(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return await self.retry_policy.run(lambda: method(self, *args, **kwargs))

    functools.update_wrapper(run, method)
    return run
