"""What a PostgreSQL unit of work sends for its repository and idempotency store: reads, which it
runs at once, and write commands, which wait until it sends them (unit_of_work.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from taskhub.adapters.postgres.prepared import Prepared
from taskhub.adapters.postgres.task_writes import Write
from taskhub.domain.model import UserId

# How a statement's result is read (asyncpg's connection methods).
Fetch = Literal["execute", "fetchrow", "fetchval", "fetch"]


@dataclass(frozen=True, slots=True)
class Command:
    """A write waiting to be sent: its statement (a `Write`, in its two forms, takes `owner`'s
    change lock), its parameters, how its result is read, and what to do with that result."""

    statement: Prepared | Write
    parameters: dict[str, Any]
    fetch: Fetch
    answer: Callable[[Any], None]
    owner: UserId | None = None


def ignore(_: Any) -> None:
    """For a command whose result nobody waits for."""


class Session(Protocol):
    """The unit of work as its repository and store see it."""

    def wait(self, command: Command) -> None: ...

    async def read(
        self, statement: Prepared, parameters: dict[str, Any], fetch: Fetch = "fetchrow"
    ) -> Any: ...

    async def begin(self) -> None: ...
