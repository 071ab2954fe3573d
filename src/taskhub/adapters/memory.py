"""In-memory task storage: the fake behind the ports, held to the same contract suites.

A unit of work holds the store's one lock from `async with` to its end (the simplest isolation
that is still serializable) and works on a private copy of the store: write commands wait in a
list, are applied to the copy when it is flushed or committed, and the copy replaces the store's
state on commit only. So, as with PostgreSQL, nothing is kept without `commit()`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from taskhub.adapters.memory_search import compile_query, words
from taskhub.domain.listing import INBOX, TOP_LEVEL, SortValue, TaskFilter, sort_value
from taskhub.domain.lists import TaskList
from taskhub.domain.model import DECIDED_ON_READ, REVISION, UNPLACED, ListId, Task, TaskId, TaskPatch, UserId
from taskhub.domain.ordering import Sibling
from taskhub.domain.positions import key_after
from taskhub.domain.preconditions import VersionCondition
from taskhub.ports.accounts import erasure_digest
from taskhub.ports.deferred import Deferred
from taskhub.ports.idempotency import Claim, IdempotencyRecord
from taskhub.ports.repositories import Change, ListChange, TaskQuery


@dataclass
class _State:
    """Everything the store holds; a unit of work works on a copy of it."""

    tasks: dict[TaskId, Task] = field(default_factory=dict)
    deleted_at: dict[TaskId, datetime] = field(default_factory=dict)
    sequence: dict[TaskId, int] = field(default_factory=dict)
    last_sequence: int = 0
    watermark: int = 0
    idempotency: dict[tuple[UserId, str], IdempotencyRecord] = field(default_factory=dict)
    lists: dict[ListId, TaskList] = field(default_factory=dict)
    list_deleted_at: dict[ListId, datetime] = field(default_factory=dict)
    list_sequence: dict[ListId, int] = field(default_factory=dict)
    # Erased owners' records (ports/accounts.py): the change number their older tokens expire at.
    erased_through: dict[bytes, int] = field(default_factory=dict)

    def copy(self) -> _State:
        return replace(
            self,
            tasks=dict(self.tasks),
            deleted_at=dict(self.deleted_at),
            sequence=dict(self.sequence),
            idempotency=dict(self.idempotency),
            lists=dict(self.lists),
            list_deleted_at=dict(self.list_deleted_at),
            list_sequence=dict(self.list_sequence),
            erased_through=dict(self.erased_through),
        )

    def next_sequence(self, task_id: TaskId) -> None:
        self.last_sequence += 1
        self.sequence[task_id] = self.last_sequence

    def next_list_sequence(self, list_id: ListId) -> None:
        self.last_sequence += 1
        self.list_sequence[list_id] = self.last_sequence

    def live_list(self, owner: UserId, list_id: ListId) -> TaskList | None:
        task_list = self.lists.get(list_id)
        if task_list is None or task_list.owner_id != owner or list_id in self.list_deleted_at:
            return None
        return task_list

    def live_lists(self, owner: UserId) -> list[TaskList]:
        mine = [t for t in self.lists.values() if t.owner_id == owner and t.id not in self.list_deleted_at]
        return sorted(mine, key=lambda t: (t.position.encode(), t.id))

    def live(self, owner: UserId, task_id: TaskId) -> Task | None:
        task = self.tasks.get(task_id)
        if task is None or task.owner_id != owner or task_id in self.deleted_at:
            return None
        return task

    def live_tasks(self, owner: UserId) -> list[Task]:
        return [t for t in self.tasks.values() if t.owner_id == owner and t.id not in self.deleted_at]

    def last_sibling(self, task: Task) -> str | None:
        """The last key among the live tasks that share `task`'s place (itself left out)."""
        keys = [
            other.position
            for other in self.tasks.values()
            if other.owner_id == task.owner_id
            and other.id != task.id
            and other.id not in self.deleted_at
            and other.siblings_scope() == task.siblings_scope()
        ]
        return max(keys, key=str.encode) if keys else None


class InMemoryStore:
    """Committed state shared by every unit of work and reader of one process."""

    def __init__(self) -> None:
        self.state = _State()
        self.lock = asyncio.Lock()


# --- the query side ---------------------------------------------------------------------------


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
    if wanted.list_id is not None and content.list_id != (
        None if wanted.list_id is INBOX else wanted.list_id
    ):
        return False
    if wanted.parent_id is not None and content.parent_id != (
        None if wanted.parent_id is TOP_LEVEL else wanted.parent_id
    ):
        return False
    if wanted.text is not None:
        return compile_query(wanted.text)(words(f"{content.title} {content.description}"))
    return True


class InMemoryTaskReader:
    """Reads the committed state as it is when asked."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def get(self, owner: UserId, task_id: TaskId) -> Task | None:
        return self._store.state.live(owner, task_id)

    async def find(self, owner: UserId, query: TaskQuery) -> list[Task]:
        state = self._store.state
        field, descending = query.sort.field, query.sort.descending
        mine = [
            task
            for task in state.tasks.values()
            if task.owner_id == owner and task.id not in state.deleted_at and _matches(task, query.filter)
        ]
        ordered = sorted(mine, key=lambda t: _order_key(sort_value(t, field), t.id, descending))
        if query.after is not None:
            boundary = _order_key(query.after.value, query.after.id, descending)
            ordered = [t for t in ordered if _order_key(sort_value(t, field), t.id, descending) > boundary]
        return ordered[: query.limit]

    async def changes(self, owner: UserId, *, after: int, limit: int) -> list[Change]:
        state = self._store.state
        entries = sorted(
            (sequence, task_id)
            for task_id, sequence in state.sequence.items()
            if sequence > after and state.tasks[task_id].owner_id == owner
        )
        return [
            Change(
                sequence=sequence,
                task_id=task_id,
                task=None if task_id in state.deleted_at else state.tasks[task_id],
            )
            for sequence, task_id in entries[:limit]
        ]

    async def all_changes(self, owner: UserId, *, after: int, limit: int) -> list[Change | ListChange]:
        state = self._store.state
        entries: list[Change | ListChange] = list(await self.changes(owner, after=after, limit=limit))
        entries += (
            ListChange(
                sequence=sequence,
                list_id=list_id,
                task_list=None if list_id in state.list_deleted_at else state.lists[list_id],
            )
            for list_id, sequence in state.list_sequence.items()
            if sequence > after and state.lists[list_id].owner_id == owner
        )
        entries.sort(key=lambda entry: entry.sequence)
        return entries[:limit]

    async def get_list(self, owner: UserId, list_id: ListId) -> TaskList | None:
        return self._store.state.live_list(owner, list_id)

    async def lists(self, owner: UserId) -> list[TaskList]:
        return self._store.state.live_lists(owner)

    async def sync_watermark(self, owner: UserId) -> int:
        state = self._store.state
        return max(state.watermark, state.erased_through.get(erasure_digest(owner), 0))


# --- the write side ---------------------------------------------------------------------------

_Command = Callable[[_State], None]


class InMemoryTaskRepository:
    def __init__(self, unit: InMemoryUnitOfWork) -> None:
        self._unit = unit

    async def get(self, owner: UserId, task_id: TaskId) -> Task | None:
        return self._unit.flushed_state().live(owner, task_id)

    def add(self, task: Task) -> Deferred[Task]:
        answer: Deferred[Task] = Deferred()

        def add(state: _State) -> None:
            if task.id in state.tasks:
                raise ValueError("duplicate task id")
            placed = task if task.position != UNPLACED else task.placed(key_after(state.last_sibling(task)))
            state.tasks[task.id] = placed
            state.next_sequence(task.id)
            answer.resolve(placed)

        self._unit.wait(add)
        return answer

    def revise(
        self,
        owner: UserId,
        task_id: TaskId,
        patch: TaskPatch,
        *,
        now: datetime,
        condition: VersionCondition | None = None,
    ) -> Deferred[Task | None]:
        if any(name in DECIDED_ON_READ for name, _ in patch):
            raise ValueError("a change of place, completion or schedule is saved whole, once decided")
        answer: Deferred[Task | None] = Deferred()

        def revise(state: _State) -> None:
            current = state.live(owner, task_id)
            revised = None
            if current is not None and (condition is None or condition.allows(current.version)):
                revised = current.revised(patch, now)
                if revised is current:
                    revised = None
                else:
                    state.tasks[task_id] = revised
                    state.next_sequence(task_id)
            answer.resolve(revised)

        self._unit.wait(revise)
        return answer

    async def subtree(self, owner: UserId, task_id: TaskId) -> list[Task]:
        state = self._unit.flushed_state()
        root = state.live(owner, task_id)
        level = [] if root is None else [root]
        family: list[Task] = []
        while level:
            family += level
            parents = {parent.id for parent in level}
            level = in_order(child for child in state.live_tasks(owner) if child.content.parent_id in parents)
        return family

    async def lineage(self, owner: UserId, task_id: TaskId) -> list[Task]:
        state = self._unit.flushed_state()
        family: list[Task] = []
        task = state.live(owner, task_id)
        while task is not None and task not in family:
            family.append(task)
            parent = task.content.parent_id
            task = None if parent is None else state.live(owner, parent)
        return family

    async def siblings(
        self, owner: UserId, list_id: ListId | None, parent_id: TaskId | None
    ) -> list[Sibling]:
        state = self._unit.flushed_state()
        place = (None, parent_id) if parent_id is not None else (list_id, None)
        return [
            Sibling(task.id, task.position)
            for task in in_order(
                task
                for task in state.live_tasks(owner)
                if (None if parent_id is not None else task.content.list_id, task.content.parent_id) == place
            )
        ]

    async def last_position(
        self, owner: UserId, list_id: ListId | None, parent_id: TaskId | None
    ) -> str | None:
        siblings = await self.siblings(owner, list_id, parent_id)
        return max((s.position for s in siblings), key=str.encode, default=None)

    def save(self, task: Task) -> None:
        def save(state: _State) -> None:
            if state.live(task.owner_id, task.id) is not None:
                state.tasks[task.id] = task
                state.next_sequence(task.id)

        self._unit.wait(save)

    def delete(
        self, owner: UserId, task_id: TaskId, *, at: datetime, condition: VersionCondition | None = None
    ) -> Deferred[bool]:
        answer: Deferred[bool] = Deferred()

        def delete(state: _State) -> None:
            current = state.live(owner, task_id)
            deleted = current is not None and (condition is None or condition.allows(current.version))
            if current is not None and deleted:
                _tombstone(state, current, at)
            answer.resolve(deleted)

        self._unit.wait(delete)
        return answer

    def purge_tombstones(self, *, deleted_before: datetime, batch_size: int) -> Deferred[int]:
        answer: Deferred[int] = Deferred()

        def purge(state: _State) -> None:
            expired = [t for t, at in state.deleted_at.items() if at < deleted_before][:batch_size]
            for task_id in expired:
                state.watermark = max(state.watermark, state.sequence.pop(task_id))
                del state.tasks[task_id], state.deleted_at[task_id]
            answer.resolve(len(expired))

        self._unit.wait(purge)
        return answer


class InMemoryListRepository:
    def __init__(self, unit: InMemoryUnitOfWork) -> None:
        self._unit = unit

    async def get(self, owner: UserId, list_id: ListId) -> TaskList | None:
        return self._unit.flushed_state().live_list(owner, list_id)

    async def all(self, owner: UserId) -> list[TaskList]:
        return self._unit.flushed_state().live_lists(owner)

    def add(self, task_list: TaskList) -> None:
        def add(state: _State) -> None:
            if task_list.id in state.lists:
                raise ValueError("duplicate list id")
            state.lists[task_list.id] = task_list
            state.next_list_sequence(task_list.id)

        self._unit.wait(add)

    def save(self, task_list: TaskList) -> None:
        def save(state: _State) -> None:
            if state.live_list(task_list.owner_id, task_list.id) is not None:
                state.lists[task_list.id] = task_list
                state.next_list_sequence(task_list.id)

        self._unit.wait(save)

    def delete(self, owner: UserId, list_id: ListId, *, at: datetime) -> Deferred[int]:
        answer: Deferred[int] = Deferred()

        def delete(state: _State) -> None:
            current = state.live_list(owner, list_id)
            if current is None:
                answer.resolve(0)
                return
            state.lists[list_id] = replace(current, updated_at=at, version=current.version + 1)
            state.list_deleted_at[list_id] = at
            state.next_list_sequence(list_id)
            members = [
                task
                for task in state.tasks.values()
                if task.owner_id == owner
                and task.content.list_id == list_id
                and task.id not in state.deleted_at
            ]
            for task in members:
                _tombstone(state, task, at)
            answer.resolve(len(members))

        self._unit.wait(delete)
        return answer

    def purge_tombstones(self, *, deleted_before: datetime, batch_size: int) -> Deferred[int]:
        answer: Deferred[int] = Deferred()

        def purge(state: _State) -> None:
            referred = {task.content.list_id for task in state.tasks.values()}
            expired = [
                list_id
                for list_id, at in state.list_deleted_at.items()
                if at < deleted_before and list_id not in referred
            ][:batch_size]
            for list_id in expired:
                state.watermark = max(state.watermark, state.list_sequence.pop(list_id))
                del state.lists[list_id], state.list_deleted_at[list_id]
            answer.resolve(len(expired))

        self._unit.wait(purge)
        return answer


def in_order(tasks: Iterable[Task]) -> list[Task]:
    """Siblings in their order: by key byte-wise, ties broken by id."""
    return sorted(tasks, key=lambda task: (task.position.encode(), task.id))


def _tombstone(state: _State, task: Task, at: datetime) -> None:
    state.tasks[task.id] = replace(
        task, **{REVISION.clock: at, REVISION.counter: getattr(task, REVISION.counter) + 1}
    )
    state.deleted_at[task.id] = at
    state.next_sequence(task.id)


class InMemoryIdempotencyStore:
    def __init__(self, unit: InMemoryUnitOfWork) -> None:
        self._unit = unit

    async def claim(self, owner: UserId, key: str) -> Claim:
        # The unit of work holds the store's lock: no other one can hold the key.
        return Claim(held=True, record=self._unit.flushed_state().idempotency.get((owner, key)))

    def save(self, owner: UserId, key: str, record: IdempotencyRecord, *, created_at: datetime) -> None:
        def save(state: _State) -> None:
            state.idempotency[(owner, key)] = record

        self._unit.wait(save)

    def purge_expired(self, now: datetime, *, batch_size: int) -> Deferred[int]:
        answer: Deferred[int] = Deferred()

        def purge(state: _State) -> None:
            expired = [k for k, r in state.idempotency.items() if r.expires_at <= now][:batch_size]
            for k in expired:
                del state.idempotency[k]
            answer.resolve(len(expired))

        self._unit.wait(purge)
        return answer


class InMemoryAccountRepository:
    def __init__(self, unit: InMemoryUnitOfWork) -> None:
        self._unit = unit

    def erase(self, owner: UserId, *, at: datetime) -> Deferred[int]:
        answer: Deferred[int] = Deferred()

        def erase(state: _State) -> None:
            tasks = [task_id for task_id, task in state.tasks.items() if task.owner_id == owner]
            lists = [list_id for list_id, task_list in state.lists.items() if task_list.owner_id == owner]
            keys = [key for key in state.idempotency if key[0] == owner]
            for task_id in tasks:
                del state.tasks[task_id]
                state.deleted_at.pop(task_id, None)
                state.sequence.pop(task_id, None)
            for list_id in lists:
                del state.lists[list_id]
                state.list_deleted_at.pop(list_id, None)
                state.list_sequence.pop(list_id, None)
            for key in keys:
                del state.idempotency[key]
            state.last_sequence += 1
            state.erased_through[erasure_digest(owner)] = state.last_sequence
            answer.resolve(len(tasks) + len(lists) + len(keys))

        self._unit.wait(erase)
        return answer


class InMemoryUnitOfWork:
    tasks: InMemoryTaskRepository
    lists: InMemoryListRepository
    idempotency: InMemoryIdempotencyStore
    accounts: InMemoryAccountRepository

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._state: _State | None = None
        self._waiting: list[_Command] = []
        self._committed = False
        self.tasks = InMemoryTaskRepository(self)
        self.lists = InMemoryListRepository(self)
        self.idempotency = InMemoryIdempotencyStore(self)
        self.accounts = InMemoryAccountRepository(self)

    async def __aenter__(self) -> Self:
        if self._state is not None or self._committed:
            raise RuntimeError("a unit of work is entered once")
        await self._store.lock.acquire()
        self._state = self._store.state.copy()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Uncommitted work goes with the private copy.
        self._state, self._waiting = None, []
        self._store.lock.release()

    def _open(self) -> _State:
        if self._state is None:
            raise RuntimeError("outside its unit of work (async with), or after its commit")
        return self._state

    def wait(self, command: _Command) -> None:
        self._open()
        self._waiting.append(command)

    def flushed_state(self) -> _State:
        state = self._open()
        waiting, self._waiting = self._waiting, []
        for command in waiting:
            command(state)
        return state

    async def hold(self, owner: UserId) -> None:
        # The unit of work holds the store's one lock already: every owner is held.
        self._open()

    async def flush(self) -> None:
        self.flushed_state()

    async def commit(self) -> None:
        self._store.state = self.flushed_state()
        self._state, self._committed = None, True
