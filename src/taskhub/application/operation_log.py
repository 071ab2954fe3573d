"""One structured event per task operation: what, on which task, for whom, how it ended.

Writes are logged at INFO. Reads are logged at DEBUG: they are most of the traffic, and the
access line of their request already says who read what route, with which status and how fast.
Never the title or the description (they are personal data); the user appears as a short hash
so logs can be correlated per user without naming anyone.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar
from uuid import UUID

from taskhub.domain.errors import TaskhubError
from taskhub.domain.model import Task, UserId

_log = logging.getLogger("taskhub.tasks")

S = TypeVar("S")
P = ParamSpec("P")
R = TypeVar("R")


def user_hash(user: str) -> str:
    """The first 16 hex digits of the user id's SHA-256: correlates log lines, names nobody."""
    return hashlib.sha256(user.encode()).hexdigest()[:16]


def logged(
    operation: str,
    level: int = logging.INFO,
) -> Callable[
    [Callable[Concatenate[S, UserId, P], Coroutine[Any, Any, R]]],
    Callable[Concatenate[S, UserId, P], Coroutine[Any, Any, R]],
]:
    def decorate(
        method: Callable[Concatenate[S, UserId, P], Coroutine[Any, Any, R]],
    ) -> Callable[Concatenate[S, UserId, P], Coroutine[Any, Any, R]]:
        async def run(self: S, owner: UserId, /, *args: P.args, **kwargs: P.kwargs) -> R:
            if not _log.isEnabledFor(level):
                return await method(self, owner, *args, **kwargs)
            started = time.perf_counter()
            task_id = next((a for a in args if isinstance(a, UUID)), None)
            try:
                result = await method(self, owner, *args, **kwargs)
            except TaskhubError as exc:
                _emit(level, operation, owner, task_id, type(exc).__name__, started)
                raise
            except Exception:
                _emit(level, operation, owner, task_id, "error", started)
                raise
            # Writes answer an Outcome whose value is the task.
            written = getattr(result, "value", result)
            _emit(
                level, operation, owner, written.id if isinstance(written, Task) else task_id, "ok", started
            )
            return result

        functools.update_wrapper(run, method)
        return run

    return decorate


def _emit(
    level: int, operation: str, owner: UserId, task_id: UUID | None, outcome: str, started: float
) -> None:
    _log.log(
        level,
        "task operation",
        extra={
            "operation": operation,
            "task_id": str(task_id) if task_id else None,
            "user": user_hash(owner),
            "outcome": outcome,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        },
    )
