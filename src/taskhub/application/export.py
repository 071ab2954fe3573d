"""Exporting everything a user has: the parts of the JSON document, and the iCalendar text, each
read from one snapshot while the client downloads it (ports/export.py).

Nothing is retried: once the first bytes are on their way, a failure can only cut the download
short, and the client asks again. Opening the snapshot is what can fail cleanly (the database
unavailable, 503): the HTTP edge opens it before it answers.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from taskhub.application.operation_log import user_hash
from taskhub.domain.errors import ListNotFound, TaskhubError, TaskNotFound, TooManyExports
from taskhub.domain.lists import TaskList
from taskhub.domain.model import Task, UserId
from taskhub.ports.clock import Clock
from taskhub.ports.export import CalendarWriter, ExportReader

_log = logging.getLogger("taskhub.export")


@dataclass(frozen=True, slots=True)
class Export:
    """An export being read: when it was made, the lists, and the tasks, to be read once."""

    exported_at: datetime
    lists: list[TaskList]
    tasks: AsyncIterator[Task]


class _Tally:
    tasks = 0


# Exports one user may download from one instance at once: each holds a read connection (and a
# snapshot) for as long as its download lasts, so a few slow ones could otherwise take them all.
EXPORTS_PER_USER: Final = 2


class ExportService:
    def __init__(
        self,
        reader: ExportReader,
        calendar: CalendarWriter,
        clock: Clock,
        exports_per_user: int = EXPORTS_PER_USER,
    ) -> None:
        self._reader = reader
        self._calendar = calendar
        self._clock = clock
        self._per_user = exports_per_user
        self._downloading: dict[UserId, int] = {}

    @contextmanager
    def _slot(self, owner: UserId) -> Iterator[None]:
        """One of the owner's export slots on this instance, for as long as the block runs;
        TooManyExports when they are all taken."""
        running = self._downloading.get(owner, 0)
        if running >= self._per_user:
            raise TooManyExports(self._per_user)
        self._downloading[owner] = running + 1
        try:
            yield
        finally:
            left = self._downloading[owner] - 1
            if left:
                self._downloading[owner] = left
            else:
                del self._downloading[owner]

    @asynccontextmanager
    async def everything(self, owner: UserId) -> AsyncIterator[Export]:
        """The owner's live lists and tasks as of now, readable until the block ends."""
        with self._slot(owner):
            async with _reported("json", owner) as tally, self._reader.snapshot(owner) as snapshot:
                lists = [_owned_list(task_list, owner) for task_list in await snapshot.lists()]
                yield Export(self._clock.now(), lists, _owned_tasks(snapshot.tasks(), owner, tally))

    async def calendar(self, owner: UserId) -> AsyncGenerator[bytes, None]:
        """The owner's live tasks as an iCalendar file, a part at a time."""
        with self._slot(owner):
            async with _reported("ics", owner) as tally, self._reader.snapshot(owner) as snapshot:
                stamp = self._clock.now()
                # Off the event loop: a VTIMEZONE takes tens of milliseconds to make the first time.
                yield await asyncio.to_thread(self._calendar.opening, await snapshot.zones())
                async for task in _owned_tasks(snapshot.tasks(), owner, tally):
                    yield self._calendar.todo(task, stamp)
                yield self._calendar.closing()


async def _owned_tasks(tasks: AsyncIterator[Task], owner: UserId, tally: _Tally) -> AsyncIterator[Task]:
    # Stores filter by owner already; this guards against an adapter bug ever becoming a
    # cross-user leak (the download stops short instead).
    async for task in tasks:
        if not task.is_owned_by(owner):
            raise TaskNotFound()
        tally.tasks += 1
        yield task


def _owned_list(task_list: TaskList, owner: UserId) -> TaskList:
    if not task_list.is_owned_by(owner):
        raise ListNotFound()
    return task_list


@asynccontextmanager
async def _reported(export_format: str, owner: UserId) -> AsyncIterator[_Tally]:
    """One log line per export, once it ends: how, for whom (hashed), how many tasks, how long.
    An export the client gave up on ends `cancelled`."""
    tally, started, outcome = _Tally(), time.perf_counter(), "cancelled"
    try:
        yield tally
        outcome = "ok"
    except TaskhubError as exc:
        outcome = type(exc).__name__
        raise
    except Exception:
        outcome = "error"
        raise
    finally:
        _log.info(
            "export",
            extra={
                "format": export_format,
                "user": user_hash(owner),
                "tasks": tally.tasks,
                "outcome": outcome,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
