"""In-memory task storage: the fake behind the ports, held to the same contract suite."""

from __future__ import annotations

import asyncio
from datetime import datetime
from types import TracebackType
from typing import Self

from taskhub.domain.model import Task, TaskId, UserId
from taskhub.ports.idempotency import IdempotencyRecord, StoredReply
from taskhub.ports.repositories import TaskKey


class InMemoryStore:
    """Committed state shared by every unit of work of one process."""

    def __init__(self) -> None:
        self.tasks: dict[TaskId, Task] = {}
        self.deleted_at: dict[TaskId, datetime] = {}
        self.idempotency: dict[tuple[UserId, str], IdempotencyRecord] = {}
        # One transaction at a time: the simplest isolation that is still serializable.
        self.lock = asyncio.Lock()


class InMemoryTaskRepository:
    def __init__(self, tasks: dict[TaskId, Task], deleted_at: dict[TaskId, datetime]) -> None:
        self._tasks = tasks
        self._deleted_at = deleted_at

    def _live(self, owner: UserId, task_id: TaskId) -> Task | None:
        task = self._tasks.get(task_id)
        if task is None or task.owner_id != owner or task_id in self._deleted_at:
            return None
        return task

    async def add(self, task: Task) -> None:
        if task.id in self._tasks:
            raise ValueError("duplicate task id")
        self._tasks[task.id] = task

    async def get(self, owner: UserId, task_id: TaskId) -> Task | None:
        return self._live(owner, task_id)

    async def update(self, owner: UserId, task: Task, *, expected_version: int) -> bool:
        current = self._live(owner, task.id)
        if current is None or current.version != expected_version:
            return False
        self._tasks[task.id] = task
        return True

    async def delete(
        self, owner: UserId, task_id: TaskId, *, at: datetime, expected_version: int | None = None
    ) -> bool:
        current = self._live(owner, task_id)
        if current is None or (expected_version is not None and current.version != expected_version):
            return False
        self._deleted_at[task_id] = at
        return True

    async def list_newest_first(self, owner: UserId, *, limit: int, after: TaskKey | None) -> list[Task]:
        mine = (t for t in self._tasks.values() if t.owner_id == owner and t.id not in self._deleted_at)
        ordered = sorted(mine, key=lambda t: (t.created_at, t.id), reverse=True)
        if after is not None:
            ordered = [t for t in ordered if (t.created_at, t.id) < (after.created_at, after.id)]
        return ordered[:limit]


class InMemoryIdempotencyStore:
    def __init__(self, records: dict[tuple[UserId, str], IdempotencyRecord]) -> None:
        self._records = records

    async def claim(self, owner: UserId, key: str) -> bool:
        # Units of work run one at a time here, so no other transaction can hold the key.
        return True

    async def find(self, owner: UserId, key: str) -> IdempotencyRecord | None:
        return self._records.get((owner, key))

    async def save(
        self,
        owner: UserId,
        key: str,
        fingerprint: str,
        reply: StoredReply,
        *,
        created_at: datetime,
        expires_at: datetime,
    ) -> None:
        self._records[(owner, key)] = IdempotencyRecord(fingerprint, reply, expires_at)

    async def purge_expired(self, now: datetime, *, batch_size: int = 1000) -> int:
        expired = [k for k, r in self._records.items() if r.expires_at <= now][:batch_size]
        for k in expired:
            del self._records[k]
        return len(expired)


class InMemoryUnitOfWork:
    """Works on a private copy of the store; commit publishes it, anything else discards it."""

    tasks: InMemoryTaskRepository
    idempotency: InMemoryIdempotencyStore

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def __aenter__(self) -> Self:
        await self._store.lock.acquire()
        self._begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._store.lock.release()

    async def commit(self) -> None:
        self._store.tasks = self._tasks
        self._store.deleted_at = self._deleted_at
        self._store.idempotency = self._idempotency
        # Later writes in this unit of work must not reach the store without another commit.
        self._begin()

    def _begin(self) -> None:
        self._tasks = dict(self._store.tasks)
        self._deleted_at = dict(self._store.deleted_at)
        self._idempotency = dict(self._store.idempotency)
        self.tasks = InMemoryTaskRepository(self._tasks, self._deleted_at)
        self.idempotency = InMemoryIdempotencyStore(self._idempotency)
