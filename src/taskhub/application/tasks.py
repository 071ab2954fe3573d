"""The task use cases. Each one is a single transaction scoped to the calling user."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from taskhub.application.cursors import decode_cursor, encode_cursor
from taskhub.application.operation_log import logged
from taskhub.domain.errors import EditConflict, InvalidQuery, TaskNotFound
from taskhub.domain.model import Task, TaskContent, TaskId, TaskPatch, UserId
from taskhub.ports.clock import Clock
from taskhub.ports.ids import IdGenerator
from taskhub.ports.repositories import TaskKey, TaskRepository
from taskhub.ports.unit_of_work import UnitOfWorkFactory

PAGE_SIZE_MIN: Final = 1
PAGE_SIZE_MAX: Final = 100
PAGE_SIZE_DEFAULT: Final = 50

# Last-writer-wins updates are optimistic: read, change, write if the version is unchanged.
# A concurrent writer makes the write miss; re-reading a few times settles any real contention.
_WRITE_ATTEMPTS: Final = 5


@dataclass(frozen=True, slots=True)
class TaskPage:
    items: list[Task]
    next_cursor: str | None


class TaskService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, ids: IdGenerator) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids

    @logged("create")
    async def create(self, owner: UserId, content: TaskContent) -> Task:
        task = Task.create(self._ids.new_task_id(), owner, content, self._clock.now())
        async with self._uow() as uow:
            await uow.tasks.add(task)
            await uow.commit()
        return task

    @logged("read")
    async def get(self, owner: UserId, task_id: TaskId) -> Task:
        async with self._uow() as uow:
            return await _existing(uow.tasks, owner, task_id)

    @logged("list")
    async def list(
        self, owner: UserId, *, limit: int = PAGE_SIZE_DEFAULT, cursor: str | None = None
    ) -> TaskPage:
        if not PAGE_SIZE_MIN <= limit <= PAGE_SIZE_MAX:
            raise InvalidQuery("limit", f"must be between {PAGE_SIZE_MIN} and {PAGE_SIZE_MAX}")
        after = decode_cursor(cursor) if cursor is not None else None
        async with self._uow() as uow:
            # One extra row tells whether another page exists without a COUNT.
            rows = await uow.tasks.list_newest_first(owner, limit=limit + 1, after=after)
        items = rows[:limit]
        more = len(rows) > limit
        next_cursor = encode_cursor(TaskKey(items[-1].created_at, items[-1].id)) if more else None
        return TaskPage(items=items, next_cursor=next_cursor)

    @logged("replace")
    async def replace(self, owner: UserId, task_id: TaskId, content: TaskContent) -> Task:
        return await self._revise(owner, task_id, lambda task: task.replace(content, self._clock.now()))

    @logged("patch")
    async def patch(self, owner: UserId, task_id: TaskId, patch: TaskPatch) -> Task:
        return await self._revise(owner, task_id, lambda task: task.patch(patch, self._clock.now()))

    @logged("complete")
    async def complete(self, owner: UserId, task_id: TaskId) -> Task:
        return await self._revise(owner, task_id, lambda task: task.complete(self._clock.now()))

    @logged("reopen")
    async def reopen(self, owner: UserId, task_id: TaskId) -> Task:
        return await self._revise(owner, task_id, lambda task: task.reopen(self._clock.now()))

    @logged("delete")
    async def delete(self, owner: UserId, task_id: TaskId) -> None:
        async with self._uow() as uow:
            if not await uow.tasks.delete(owner, task_id, at=self._clock.now()):
                raise TaskNotFound()
            await uow.commit()

    async def _revise(self, owner: UserId, task_id: TaskId, change: Callable[[Task], Task]) -> Task:
        async with self._uow() as uow:
            for _ in range(_WRITE_ATTEMPTS):
                current = await _existing(uow.tasks, owner, task_id)
                revised = change(current)
                if revised is current:
                    return current
                if await uow.tasks.update(owner, revised, expected_version=current.version):
                    await uow.commit()
                    return revised
            # Still losing after several rounds: report it as contention the client may retry.
            raise EditConflict()


async def _existing(tasks: TaskRepository, owner: UserId, task_id: TaskId) -> Task:
    task = await tasks.get(owner, task_id)
    # The repository already filters by owner; the second check guards against an adapter bug
    # ever turning into a cross-user leak.
    if task is None or not task.is_owned_by(owner):
        raise TaskNotFound()
    return task
