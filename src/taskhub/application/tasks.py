"""The task use cases: reads on the query side, writes in one unit of work each.

Every write goes one way (`_write`): a step stages the change in a unit of work, the unit of work
commits it, and the step's settlement turns what the store answered into the use case's answer,
reading the task when the store wrote nothing. With an Idempotency-Key the same happens inside
the key's transaction (idempotency.py), the answer stored with it.

Every change to a task (PUT, PATCH, complete, reopen, move) is a `TaskPatch` applied by the
domain's revision rule (`Task.revised`). A change of the task's own fields only (a title, a
description) is applied by the store in place, in one statement (`revise`); a change that may reach the
task's tree (its list, parent, position or completion), a change to what a repeating task's rule
starts from (its rule, due date or zone), and a deletion (which takes the subtree) read the tree
under the owner's lock and save what changed (task_tree.py).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final, TypeVar

from taskhub.application import task_tree as tree
from taskhub.application.cursors import (
    SyncToken,
    decode_cursor,
    decode_sync_token,
    encode_cursor,
    encode_sync_token,
)
from taskhub.application.idempotency import DEFAULT_IDEMPOTENCY_TTL, Idempotency, Outcome, fingerprint
from taskhub.application.operation_log import logged
from taskhub.application.retry import RetryPolicy, retried
from taskhub.domain.errors import (
    EditConflict,
    InvalidParameter,
    PreconditionFailed,
    SyncTokenExpired,
    TaskNotFound,
)
from taskhub.domain.listing import NEWEST_FIRST, PageKey, Sort, TaskFilter, sort_value
from taskhub.domain.model import DECIDED_ON_READ, ListId, Task, TaskId, TaskPatch, UserId
from taskhub.domain.ordering import MoveTarget
from taskhub.domain.preconditions import VersionCondition
from taskhub.ports.clock import Clock
from taskhub.ports.ids import IdGenerator
from taskhub.ports.repositories import Change, ListChange, TaskQuery, TaskReader
from taskhub.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

PAGE_SIZE_MIN: Final = 1
PAGE_SIZE_MAX: Final = 100
PAGE_SIZE_DEFAULT: Final = 50
# A revision that wrote nothing although the task, read right after, would take it: the task
# moved in between, and the edit is tried again, this many times in all before a 409.
EDIT_ATTEMPTS: Final = 3
_COMPLETE: Final = TaskPatch.of(completed=True)
_REOPEN: Final = TaskPatch.of(completed=False)
_STAY: Final = TaskPatch()  # a move within the task's current place

T = TypeVar("T")
Lookup = Callable[[UserId, TaskId], Awaitable[Task | None]]
# What a step leaves to do once its writes are sent: turn the store's answers into the use
# case's, reading the task (with the lookup it is given) when it must.
Settle = Callable[[Lookup], Awaitable[T]]
Step = Callable[[UnitOfWork], Settle[T]]
# What must hold before a step stages its writes, checked in its unit of work (which it may hold).
Guard = Callable[[UnitOfWork], Awaitable[None]]


class _Moved(Exception):
    """The task changed between a write that found nothing to do and the read that followed."""


@dataclass(frozen=True, slots=True)
class TaskPage:
    items: list[Task]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ChangePage:
    changes: list[Change | ListChange]
    next_since: str
    has_more: bool


def _owned(task: Task, owner: UserId) -> Task:
    # Stores filter by owner already; this guards against an adapter bug ever becoming a
    # cross-user leak.
    if not task.is_owned_by(owner):
        raise TaskNotFound()
    return task


class TaskService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        reader: TaskReader,
        clock: Clock,
        ids: IdGenerator,
        idempotency_ttl: timedelta = DEFAULT_IDEMPOTENCY_TTL,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self._uow = uow
        self._reader = reader
        self._clock = clock
        self._ids = ids
        self._idempotency = Idempotency(clock, idempotency_ttl)
        self.retry_policy = retry_policy or RetryPolicy()

    # --- reads ----------------------------------------------------------------------------------

    @logged("read", logging.DEBUG)
    @retried
    async def get(self, owner: UserId, task_id: TaskId) -> Task:
        task = await self._reader.get(owner, task_id)
        if task is None:
            raise TaskNotFound()
        return _owned(task, owner)

    @logged("list", logging.DEBUG)
    @retried
    async def list(
        self,
        owner: UserId,
        *,
        wanted: TaskFilter | None = None,
        sort: Sort = NEWEST_FIRST,
        limit: int = PAGE_SIZE_DEFAULT,
        cursor: str | None = None,
    ) -> TaskPage:
        wanted = wanted or TaskFilter()
        _check_page_size(limit)
        after = decode_cursor(cursor, sort, wanted) if cursor is not None else None
        # One extra row tells whether another page exists without a COUNT.
        rows = await self._reader.find(
            owner, TaskQuery(filter=wanted, sort=sort, limit=limit + 1, after=after)
        )
        items, more = [_owned(task, owner) for task in rows[:limit]], len(rows) > limit
        next_cursor = None
        if more:
            last = items[-1]
            next_cursor = encode_cursor(sort, wanted, PageKey(sort_value(last, sort.field), last.id))
        return TaskPage(items=items, next_cursor=next_cursor)

    @logged("changes", logging.DEBUG)
    @retried
    async def changes(
        self, owner: UserId, *, since: str | None = None, limit: int = PAGE_SIZE_DEFAULT
    ) -> ChangePage:
        return await self._feed(owner, since, limit, self._reader.changes)

    async def _feed(
        self, owner: UserId, since: str | None, limit: int, read: Callable[..., Awaitable[Sequence[Any]]]
    ) -> ChangePage:
        _check_page_size(limit)
        token = decode_sync_token(since) if since is not None else None
        after = 0 if token is None else token.sequence
        changes = await read(owner, after=after, limit=limit + 1)
        # Read after the changes: a purge that committed in between makes this token expire
        # rather than silently losing the deletions it removed.
        watermark = await self._reader.sync_watermark(owner)
        if token is not None and token.expired(watermark):
            raise SyncTokenExpired()
        page, more = changes[:limit], len(changes) > limit
        # The watermark goes into the next token: a sync that starts afresh is not expired by a
        # purge or an erasure that came before it (an erased user's empty feed, the old changes
        # of a quiet user below another user's purged tombstones), only by one that comes after.
        next_since = encode_sync_token(SyncToken(page[-1].sequence if page else after, watermark))
        return ChangePage(changes=list(page), next_since=next_since, has_more=more)

    @logged("all changes", logging.DEBUG)
    @retried
    async def all_changes(
        self, owner: UserId, *, since: str | None = None, limit: int = PAGE_SIZE_DEFAULT
    ) -> ChangePage:
        """`changes`, lists' among tasks' (GET /api/changes); the same tokens."""
        return await self._feed(owner, since, limit, self._reader.all_changes)

    # --- writes ---------------------------------------------------------------------------------

    @logged("create")
    @retried
    async def create(self, owner: UserId, fields: TaskPatch, key: str | None = None) -> Outcome[Task]:
        """A new task with `fields`, the others at their defaults."""
        request = fingerprint("create", fields)
        if fields.changes().get("parent_id") is not None:
            task_id, now = self._ids.new_task_id(), self._clock.now()
            return await self._held(
                owner, key, request, lambda uow: tree.create(uow, owner, task_id, fields, now)
            )

        def step(uow: UnitOfWork) -> Settle[Task]:
            task = Task.create(self._ids.new_task_id(), owner, fields.new_content(), self._clock.now())
            added = uow.tasks.add(task)

            async def settle(_: Lookup) -> Task:
                return added.value

            return settle

        guard = _in_callers_list(owner, fields.changes().get("list_id"))
        return await self._write_task(owner, key, request, step, guard)

    @logged("replace")
    @retried
    async def replace(
        self, owner: UserId, task_id: TaskId, fields: TaskPatch, condition: VersionCondition | None = None
    ) -> Outcome[Task]:
        """Every writable field set to `fields`' or, absent there, to its default (PUT)."""
        return await self._reshape(owner, task_id, TaskPatch.replacing(fields.new_content()), condition)

    @logged("patch")
    @retried
    async def patch(
        self, owner: UserId, task_id: TaskId, patch: TaskPatch, condition: VersionCondition | None = None
    ) -> Outcome[Task]:
        if any(name in DECIDED_ON_READ for name, _ in patch):
            return await self._reshape(owner, task_id, patch, condition)
        return await self._edit(owner, task_id, patch, condition)

    @logged("complete")
    @retried
    async def complete(
        self,
        owner: UserId,
        task_id: TaskId,
        condition: VersionCondition | None = None,
        key: str | None = None,
    ) -> Outcome[Task]:
        return await self._reshape(owner, task_id, _COMPLETE, condition, key=key, operation="complete")

    @logged("reopen")
    @retried
    async def reopen(
        self,
        owner: UserId,
        task_id: TaskId,
        condition: VersionCondition | None = None,
        key: str | None = None,
    ) -> Outcome[Task]:
        return await self._reshape(owner, task_id, _REOPEN, condition, key=key, operation="reopen")

    @logged("move")
    @retried
    async def move(
        self,
        owner: UserId,
        task_id: TaskId,
        target: MoveTarget,
        place: TaskPatch = _STAY,
        condition: VersionCondition | None = None,
    ) -> Outcome[Task]:
        """Right after or before a sibling at the task's new place (`place`: a new `list_id`,
        `parent_id`, or neither), or first there; its subtree goes with it."""
        return await self._reshape(owner, task_id, place, condition, target=target)

    @logged("delete")
    @retried
    async def delete(self, owner: UserId, task_id: TaskId, condition: VersionCondition | None = None) -> None:
        """The task and its subtree."""
        now = self._clock.now()
        await self._held(owner, None, "", lambda uow: tree.delete(uow, owner, task_id, condition, now=now))

    # --- the one way every write goes ---------------------------------------------------------

    async def _held(
        self, owner: UserId, key: str | None, request: str, write: Callable[[UnitOfWork], Awaitable[Task]]
    ) -> Outcome[Task]:
        """A write that reads before it decides (task_tree.py), in one unit of work, committed;
        with an Idempotency-Key, once per key."""
        async with self._uow() as uow:
            if key is not None:
                return await self._idempotency.once(uow, owner, key, request, lambda: write(uow))
            answer = await write(uow)
            await uow.commit()
        return Outcome(answer)

    async def _reshape(
        self,
        owner: UserId,
        task_id: TaskId,
        patch: TaskPatch,
        condition: VersionCondition | None,
        *,
        key: str | None = None,
        operation: str = "edit",
        target: MoveTarget | None = None,
    ) -> Outcome[Task]:
        """A change that may reach other tasks of the task's tree (its place, its completion):
        decided on the tree as read under the owner's lock (task_tree.py)."""
        patch = patch.validated()
        now = self._clock.now()
        request = fingerprint(operation, task_id, patch, condition)

        async def write(uow: UnitOfWork) -> Task:
            revised = await tree.revise(uow, owner, task_id, patch, condition, now=now, target=target)
            return _owned(revised, owner)

        return await self._held(owner, key, request, write)

    async def _write(self, step: Step[T], guard: Guard | None = None) -> Outcome[T]:
        """Guard, stage, commit, settle."""
        async with self._uow() as uow:
            if guard is not None:
                await guard(uow)
            settle = step(uow)
            await uow.commit()
        return Outcome(await settle(self._reader.get))

    async def _write_task(
        self, owner: UserId, key: str | None, request: str, step: Step[Task], guard: Guard | None = None
    ) -> Outcome[Task]:
        """`_write`; with an Idempotency-Key, inside the key's transaction (idempotency.py), where
        the writes are sent first and the settlement reads in the same transaction."""
        if key is None:
            return await self._write(step, guard)
        async with self._uow() as uow:

            async def once() -> Task:
                if guard is not None:
                    await guard(uow)
                settle = step(uow)
                await uow.flush()
                return await settle(uow.tasks.get)

            return await self._idempotency.once(uow, owner, key, request, once)

    async def _edit(
        self,
        owner: UserId,
        task_id: TaskId,
        patch: TaskPatch,
        condition: VersionCondition | None,
        *,
        key: str | None = None,
        operation: str = "edit",
    ) -> Outcome[Task]:
        """Every change to a task: the store revises it in place by the domain's revision rule,
        checked against If-Match; when that writes nothing, the task as it is says why (404, 412,
        or nothing to change: the task as it is), and if it moved in between, the edit is tried
        again."""
        patch = patch.validated()

        def step(uow: UnitOfWork) -> Settle[Task]:
            now = self._clock.now()
            revised = uow.tasks.revise(owner, task_id, patch, now=now, condition=condition)

            async def settle(lookup: Lookup) -> Task:
                if revised.value is not None:
                    return _owned(revised.value, owner)
                current = await self._say_why_not(lookup, owner, task_id, condition)
                if patch.applied_to(current.content) == current.content:
                    return current  # nothing to change
                raise _Moved()

            return settle

        request = fingerprint(operation, task_id, patch, condition)
        guard = _in_callers_list(owner, patch.changes().get("list_id"))
        return await self._again_if_moved(lambda: self._write_task(owner, key, request, step, guard))

    async def _say_why_not(
        self, lookup: Lookup, owner: UserId, task_id: TaskId, condition: VersionCondition | None
    ) -> Task:
        """After a write that wrote nothing: TaskNotFound, PreconditionFailed, or the task."""
        current = await lookup(owner, task_id)
        if current is None:
            raise TaskNotFound()
        _owned(current, owner)
        if condition is not None and not condition.allows(current.version):
            raise PreconditionFailed(current.version)
        return current

    @staticmethod
    async def _again_if_moved(write: Callable[[], Awaitable[T]]) -> T:
        for _ in range(EDIT_ATTEMPTS):
            try:
                return await write()
            except _Moved:
                continue
        raise EditConflict()


def _in_callers_list(owner: UserId, list_id: ListId | None) -> Guard | None:
    """For a task created in a list: the list must be one of the owner's live lists, and stay so
    until the write commits (the owner is held, so a deletion of the list waits)."""
    if list_id is None:
        return None

    async def guard(uow: UnitOfWork) -> None:
        await uow.hold(owner)
        await tree.check_list(uow, owner, list_id)

    return guard


def _check_page_size(limit: int) -> None:
    if not PAGE_SIZE_MIN <= limit <= PAGE_SIZE_MAX:
        raise InvalidParameter("limit", f"must be between {PAGE_SIZE_MIN} and {PAGE_SIZE_MAX}")
