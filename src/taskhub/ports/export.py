"""Exporting a user's data: everything they have, read as of one moment (`ExportReader`), and
the iCalendar text of their tasks (`CalendarWriter`). An export can be of any size, so nothing
here holds all of it at once: tasks come one at a time and text is written a part at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from taskhub.domain.lists import TaskList
from taskhub.domain.model import Task, UserId


@dataclass(frozen=True, slots=True)
class ZoneSpan:
    """A time zone due dates are shown in (a task's `time_zone`), with the earliest and the
    latest of those due dates: what a calendar must know of the zone."""

    name: str
    first_due: datetime
    last_due: datetime


class ExportSnapshot(Protocol):
    """One owner's live lists and tasks, all as they were when the snapshot was taken: a write
    committed since is in none of its answers. Another user's list or task is in none either."""

    async def lists(self) -> list[TaskList]:
        """The lists in their order: by position byte-wise, ties broken by id."""
        ...

    def tasks(self) -> AsyncIterator[Task]:
        """Every task by creation time, ties broken by id, to be read once. A store that reads
        them from elsewhere reads a batch at a time, never all of them at once."""
        ...

    async def zones(self) -> list[ZoneSpan]:
        """The zones of the tasks that have a due date and a zone, by name."""
        ...


class ExportReader(Protocol):
    def snapshot(self, owner: UserId) -> AbstractAsyncContextManager[ExportSnapshot]:
        """The owner's snapshot, until the block ends (or StorageUnavailable). Leaving the block,
        however it is left (a cancellation, an iteration given up halfway), lets go of what the
        snapshot held."""
        ...


class CalendarWriter(Protocol):
    """RFC 5545 text, a part at a time: `opening`, a `todo` per task, then `closing`."""

    def opening(self, zones: Sequence[ZoneSpan]) -> bytes:
        """The calendar's start: its properties and a VTIMEZONE for each zone."""
        ...

    def todo(self, task: Task, stamp: datetime) -> bytes:
        """The task as one VTODO, written at `stamp` (its DTSTAMP)."""
        ...

    def closing(self) -> bytes: ...
