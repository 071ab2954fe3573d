"""The unit of work port: one transaction per use case."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol, Self

from taskhub.domain.model import UserId
from taskhub.ports.accounts import AccountRepository
from taskhub.ports.deferred import Deferred
from taskhub.ports.idempotency import IdempotencyStore
from taskhub.ports.lists import ListRepository
from taskhub.ports.repositories import TaskRepository


class UnitOfWork(Protocol):
    """One transaction: `async with uow:` starts it, `commit()` keeps what was written, and
    leaving the block without `commit()` (an exception, a return, a cancellation) rolls everything
    back. Nothing is written otherwise, and nothing can be written outside the block.

    Reads (`tasks.get`) run at once. Write commands (`tasks.add`, `tasks.revise`, ...) wait: they
    are sent by `commit()`, all or nothing. A store may then send a lone command as one statement,
    which its database commits as a transaction of its own (one round trip); `flush()` sends what
    waits now, inside the transaction, when a use case must know a command's result before it
    commits. A unit of work commits once."""

    tasks: TaskRepository
    lists: ListRepository
    idempotency: IdempotencyStore
    accounts: AccountRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def hold(self, owner: UserId) -> None:
        """Serialize this unit of work with every other write of `owner`'s tasks and lists, on
        any instance, until it ends (its transaction starts here): what it reads afterwards
        stays true until it commits. For writes that read before they decide (a list's place,
        a task's list)."""
        ...

    async def flush(self) -> None:
        """Send the commands that wait, inside the transaction: their results are known, and
        later reads see them. Nothing is kept unless `commit()` follows."""
        ...

    async def commit(self) -> None:
        """Send what waits and keep everything, or nothing if any of it fails."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
__all__ = ["Deferred", "UnitOfWork", "UnitOfWorkFactory"]
