"""The unit of work port: one transaction per use case."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol, Self

from taskhub.ports.idempotency import IdempotencyStore
from taskhub.ports.repositories import TaskRepository


class UnitOfWork(Protocol):
    """`async with uow:` opens a transaction; leaving it without `commit()` rolls it back."""

    tasks: TaskRepository
    idempotency: IdempotencyStore

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...

    def reading(self) -> Self:
        """Declare, before entering, that this unit of work only reads: adapters may then skip
        the transaction (one statement, or reads that tolerate separate snapshots)."""
        ...

    def optimistic(self) -> Self:
        """Declare, before entering, that this unit of work writes once at most, and that its
        write itself checks what it relies on (the version it read, or nothing): adapters may
        then skip the transaction and let that write commit as it runs. The use case still calls
        `commit()`; nothing that can fail may come between the write and the commit, and it
        uses no `idempotency` store (a stored reply must commit with the write it records)."""
        ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
