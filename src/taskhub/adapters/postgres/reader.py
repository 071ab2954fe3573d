"""The task repository of read-only units of work, on a connection of the read pool
(read_pool.py), outside any transaction when directly connected: it cannot write."""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

from taskhub.adapters.postgres.repository import AsyncpgTaskRepository
from taskhub.domain.model import Task, TaskId, TaskPatch, UserId
from taskhub.domain.preconditions import VersionCondition


def _read_only() -> NoReturn:
    raise RuntimeError("a read-only unit of work cannot write")


class AsyncpgTaskReader(AsyncpgTaskRepository):
    async def get_for_change(self, owner: UserId, task_id: TaskId) -> Task | None:
        _read_only()

    async def add(self, task: Task) -> None:
        _read_only()

    async def update(self, owner: UserId, task: Task, *, expected_version: int) -> bool:
        _read_only()

    async def apply_patch(
        self,
        owner: UserId,
        task_id: TaskId,
        patch: TaskPatch,
        *,
        now: datetime,
        condition: VersionCondition | None = None,
    ) -> Task | None:
        _read_only()

    async def delete(
        self, owner: UserId, task_id: TaskId, *, at: datetime, expected_version: int | None = None
    ) -> bool:
        _read_only()

    async def purge_tombstones(self, *, deleted_before: datetime, batch_size: int) -> int:
        _read_only()
