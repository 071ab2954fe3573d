"""In-memory task storage: the fake behind the ports, held to the same contract suite."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from taskhub.adapters.memory_search import compile_query, words
from taskhub.domain.listing import SortValue, TaskFilter, sort_value
from taskhub.domain.model import Task, TaskId, TaskPatch, UserId
from taskhub.domain.preconditions import VersionCondition
from taskhub.ports.idempotency import IdempotencyRecord, StoredReply
from taskhub.ports.repositories import Change, TaskQuery


class InMemoryStore:
    """Committed state shared by every unit of work of one process."""

    def __init__(self) -> None:
        self.tasks: dict[TaskId, Task] = {}
        self.deleted_at: dict[TaskId, datetime] = {}
        self.sequence: dict[TaskId, int] = {}
        self.last_sequence = 0
        self.watermark = 0
        self.idempotency: dict[tuple[UserId, str], IdempotencyRecord] = {}
        # One transaction at a time: the simplest isolation that is still serializable.
        self.lock = asyncio.Lock()


@dataclass
class _State:
    """A unit of work's private copy of the store."""

    tasks: dict[TaskId, Task]
    deleted_at: dict[TaskId, datetime]
    sequence: dict[TaskId, int]
    last_sequence: int
    watermark: int

    def next_sequence(self, task_id: TaskId) -> None:
        self.last_sequence += 1
        self.sequence[task_id] = self.last_sequence


class _Reversed:
    """Inverts the order of a value, for descending sorts that keep nulls last."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return bool(other.value < self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and bool(self.value == other.value)

    def __hash__(self) -> int:
        return hash(self.value)


def _order_key(value: SortValue, task_id: TaskId, descending: bool) -> tuple[Any, ...]:
    # Nulls (no due date) last whatever the direction; then the value; then the id.
    is_null = value is None
    if descending:
        return (is_null, _Reversed(value) if not is_null else 0, _Reversed(task_id))
    return (is_null, value if not is_null else 0, task_id)


def _matches(task: Task, wanted: TaskFilter) -> bool:
    content = task.content
    if wanted.completed is not None and content.completed != wanted.completed:
        return False
    if wanted.priorities is not None and content.priority not in wanted.priorities:
        return False
    if wanted.tags is not None and not wanted.tags <= set(content.tags):
        return False
    if wanted.due_before is not None and (content.due_at is None or content.due_at >= wanted.due_before):
        return False
    if wanted.due_after is not None and (content.due_at is None or content.due_at < wanted.due_after):
        return False
    if wanted.text is not None:
        return compile_query(wanted.text)(words(f"{content.title} {content.description}"))
    return True


class InMemoryTaskRepository:
    def __init__(self, state: _State) -> None:
        self._state = state

    def _live(self, owner: UserId, task_id: TaskId) -> Task | None:
        task = self._state.tasks.get(task_id)
        if task is None or task.owner_id != owner or task_id in self._state.deleted_at:
            return None
        return task

    async def add(self, task: Task) -> None:
        if task.id in self._state.tasks:
            raise ValueError("duplicate task id")
        self._state.tasks[task.id] = task
        self._state.next_sequence(task.id)

    async def get(self, owner: UserId, task_id: TaskId) -> Task | None:
        return self._live(owner, task_id)

    async def get_for_change(self, owner: UserId, task_id: TaskId) -> Task | None:
        return self._live(owner, task_id)

    async def update(self, owner: UserId, task: Task, *, expected_version: int) -> bool:
        current = self._live(owner, task.id)
        if current is None or current.version != expected_version:
            return False
        self._state.tasks[task.id] = task
        self._state.next_sequence(task.id)
        return True

    async def apply_patch(
        self,
        owner: UserId,
        task_id: TaskId,
        patch: TaskPatch,
        *,
        now: datetime,
        condition: VersionCondition | None = None,
    ) -> Task | None:
        current = self._live(owner, task_id)
        if current is None or (condition is not None and not condition.allows(current.version)):
            return None
        revised = current.patch(patch, now)
        if revised is current:
            return None
        self._state.tasks[task_id] = revised
        self._state.next_sequence(task_id)
        return revised

    async def delete(
        self, owner: UserId, task_id: TaskId, *, at: datetime, expected_version: int | None = None
    ) -> bool:
        current = self._live(owner, task_id)
        if current is None or (expected_version is not None and current.version != expected_version):
            return False
        self._state.deleted_at[task_id] = at
        self._state.next_sequence(task_id)
        return True

    async def find(self, owner: UserId, query: TaskQuery) -> list[Task]:
        field, descending = query.sort.field, query.sort.descending
        mine = [
            task
            for task in self._state.tasks.values()
            if task.owner_id == owner
            and task.id not in self._state.deleted_at
            and _matches(task, query.filter)
        ]
        ordered = sorted(mine, key=lambda t: _order_key(sort_value(t, field), t.id, descending))
        if query.after is not None:
            boundary = _order_key(query.after.value, query.after.id, descending)
            ordered = [t for t in ordered if _order_key(sort_value(t, field), t.id, descending) > boundary]
        return ordered[: query.limit]

    async def changes(self, owner: UserId, *, after: int, limit: int) -> list[Change]:
        entries = sorted(
            (sequence, task_id)
            for task_id, sequence in self._state.sequence.items()
            if sequence > after and self._state.tasks[task_id].owner_id == owner
        )
        return [
            Change(
                sequence=sequence,
                task_id=task_id,
                task=None if task_id in self._state.deleted_at else self._state.tasks[task_id],
            )
            for sequence, task_id in entries[:limit]
        ]

    async def purge_tombstones(self, *, deleted_before: datetime, batch_size: int) -> int:
        expired = [t for t, at in self._state.deleted_at.items() if at < deleted_before][:batch_size]
        for task_id in expired:
            self._state.watermark = max(self._state.watermark, self._state.sequence.pop(task_id))
            del self._state.tasks[task_id], self._state.deleted_at[task_id]
        return len(expired)

    async def sync_watermark(self) -> int:
        return self._state.watermark


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

    def reading(self) -> Self:
        return self

    def optimistic(self) -> Self:
        # One lock around the whole unit of work already makes it atomic.
        return self

    async def commit(self) -> None:
        store, state = self._store, self._state
        store.tasks, store.deleted_at, store.sequence = state.tasks, state.deleted_at, state.sequence
        store.last_sequence, store.watermark = state.last_sequence, state.watermark
        store.idempotency = self._idempotency
        # Later writes in this unit of work must not reach the store without another commit.
        self._begin()

    def _begin(self) -> None:
        store = self._store
        self._state = _State(
            tasks=dict(store.tasks),
            deleted_at=dict(store.deleted_at),
            sequence=dict(store.sequence),
            last_sequence=store.last_sequence,
            watermark=store.watermark,
        )
        self._idempotency = dict(store.idempotency)
        self.tasks = InMemoryTaskRepository(self._state)
        self.idempotency = InMemoryIdempotencyStore(self._idempotency)
