"""The export's reads on the in-memory store (memory.py), held to the same contract as PostgreSQL's
(tests/contract/test_export_reader.py).

A commit replaces the store's state whole, never changing the one it replaces: the state taken
when the snapshot opens stays as it was, whatever is committed while the export is read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from taskhub.adapters.memory import InMemoryStore
from taskhub.domain.lists import TaskList
from taskhub.domain.model import Task, UserId
from taskhub.ports.export import ZoneSpan


class InMemoryExportReader:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    @asynccontextmanager
    async def snapshot(self, owner: UserId) -> AsyncIterator[InMemoryExportSnapshot]:
        state = self._store.state
        tasks = sorted(state.live_tasks(owner), key=lambda task: (task.created_at, task.id))
        yield InMemoryExportSnapshot(state.live_lists(owner), tasks)


class InMemoryExportSnapshot:
    def __init__(self, lists: list[TaskList], tasks: list[Task]) -> None:
        self._lists = lists
        self._tasks = tasks

    async def lists(self) -> list[TaskList]:
        return list(self._lists)

    async def tasks(self) -> AsyncIterator[Task]:
        for task in self._tasks:
            yield task

    async def zones(self) -> list[ZoneSpan]:
        spans: dict[str, ZoneSpan] = {}
        for task in self._tasks:
            zone, due = task.content.time_zone, task.content.due_at
            if zone is None or due is None:
                continue
            known = spans.get(zone)
            spans[zone] = (
                ZoneSpan(zone, due, due)
                if known is None
                else ZoneSpan(zone, min(known.first_due, due), max(known.last_due, due))
            )
        return [spans[name] for name in sorted(spans)]
