"""`Idempotency-Key`: one wrapper around any write use case.

The key is claimed in the use case's unit of work (the transaction starts there), what it ended
with is stored in that same transaction, and a retry with the same key gets that ending again:
the task it answered with, or the domain error it ended with (Brandur Leach, "Implementing
Stripe-like Idempotency Keys in Postgres"). What is stored is what the use case did, never an
HTTP response: the edge renders a replay as it renders any answer.

A failure that says nothing about the request (the database unavailable, a conflict with another
request in flight) is not stored: the retry runs the use case again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Generic, TypeVar

from taskhub.domain.errors import (
    FieldError,
    IdempotencyKeyReused,
    InvalidList,
    InvalidTask,
    ListNotFound,
    PreconditionFailed,
    RequestInFlight,
    TaskhubError,
    TaskNotFound,
    TooManyLists,
)
from taskhub.domain.lists import TaskList
from taskhub.domain.model import Task, UserId
from taskhub.ports.clock import Clock
from taskhub.ports.idempotency import Failure, IdempotencyRecord
from taskhub.ports.unit_of_work import UnitOfWork

T = TypeVar("T")
# What an idempotent write answers: a task, or a list.
Answer = TypeVar("Answer", Task, TaskList)

DEFAULT_IDEMPOTENCY_TTL: Final = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    """What a write use case answers, and whether it is the stored answer to an earlier request
    with the same Idempotency-Key (`replayed`)."""

    value: T
    replayed: bool = False


def fingerprint(operation: str, *arguments: object) -> str:
    """What makes two requests "the same": the use case and its arguments as the domain sees them,
    so the same body with other whitespace, or its fields in another order, is the same request.
    (The arguments are frozen dataclasses and plain values: their repr is stable.)"""
    return hashlib.sha256(repr((operation, arguments)).encode()).hexdigest()


def _failure(error: TaskhubError) -> Failure | None:
    """A domain error a retry must end with again, as data; None for any other."""
    if isinstance(error, InvalidTask | InvalidList):
        kind = "invalid_task" if isinstance(error, InvalidTask) else "invalid_list"
        return Failure(kind, {"errors": [[e.field, e.message] for e in error.errors]})
    if isinstance(error, PreconditionFailed):
        return Failure("precondition_failed", {"current_version": error.current_version})
    if isinstance(error, TaskNotFound):
        return Failure("task_not_found")
    if isinstance(error, ListNotFound):
        return Failure("list_not_found")
    if isinstance(error, TooManyLists):
        return Failure("too_many_lists", {"limit": error.limit})
    return None


def _error(failure: Failure) -> TaskhubError:
    if failure.kind in ("invalid_task", "invalid_list"):
        errors = [FieldError(str(field), str(message)) for field, message in failure.details["errors"]]
        return InvalidTask(errors) if failure.kind == "invalid_task" else InvalidList(errors)
    if failure.kind == "precondition_failed":
        return PreconditionFailed(int(failure.details["current_version"]))
    if failure.kind == "task_not_found":
        return TaskNotFound()
    if failure.kind == "list_not_found":
        return ListNotFound()
    if failure.kind == "too_many_lists":
        return TooManyLists(int(failure.details["limit"]))
    raise ValueError(f"no domain error of kind {failure.kind!r}")


class Idempotency:
    def __init__(self, clock: Clock, ttl: timedelta = DEFAULT_IDEMPOTENCY_TTL) -> None:
        self._clock = clock
        self._ttl = ttl

    async def once(
        self,
        uow: UnitOfWork,
        owner: UserId,
        key: str,
        request: str,
        use_case: Callable[[], Awaitable[Answer]],
    ) -> Outcome[Answer]:
        """Run `use_case` in `uow` once for (`owner`, `key`), `request` being its fingerprint; a
        domain error it ends with must leave nothing written (the record is committed with it)."""
        claim = await uow.idempotency.claim(owner, key)
        if not claim.held:
            raise RequestInFlight()
        now = self._clock.now()
        record = claim.record
        if record is not None and record.expires_at > now:
            if record.fingerprint != request:
                raise IdempotencyKeyReused()
            if record.failure is not None:
                error = _error(record.failure)
                error.replayed = True
                raise error
            if record.answer is None:  # pragma: no cover - the table allows no such record
                raise ValueError("an idempotency record without an ending")
            return Outcome(record.answer, replayed=True)  # type: ignore[arg-type]
        expires_at = now + self._ttl
        try:
            answer = await use_case()
        except TaskhubError as error:
            failure = _failure(error)
            if failure is None:
                raise
            ended = IdempotencyRecord(request, expires_at, failure=failure)
            uow.idempotency.save(owner, key, ended, created_at=now)
            await uow.commit()
            raise
        uow.idempotency.save(
            owner, key, IdempotencyRecord(request, expires_at, answer=answer), created_at=now
        )
        await uow.commit()
        return Outcome(answer)
