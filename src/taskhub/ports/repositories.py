"""The task repository port: where tasks live, always seen through their owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from taskhub.domain.errors import TaskhubError
from taskhub.domain.model import Task, TaskId, UserId


class StorageUnavailable(TaskhubError):
    """The store cannot be reached or did not answer in time; the request may be retried.

    `retryable` says the failure was transient and nothing was committed, so the use case may
    run again at once (a lost connection, a serialization failure); a failure during commit is
    never retryable here, because whether it committed is unknown.
    """

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True, slots=True)
class TaskKey:
    """Where a page of the default listing (newest first) ends: keyset pagination, no OFFSET."""

    created_at: datetime
    id: TaskId


class TaskRepository(Protocol):
    """Ownership is part of the port: every method takes the owner and only ever sees that
    owner's live (not deleted) tasks. Another user's task is indistinguishable from none."""

    async def add(self, task: Task) -> None: ...

    async def get(self, owner: UserId, task_id: TaskId) -> Task | None: ...

    async def update(self, owner: UserId, task: Task, *, expected_version: int) -> bool:
        """Store `task` if the stored version is still `expected_version`; False otherwise."""
        ...

    async def delete(
        self, owner: UserId, task_id: TaskId, *, at: datetime, expected_version: int | None = None
    ) -> bool:
        """Mark the task deleted (a tombstone stays for sync); False when there was none, or when
        `expected_version` is given and the stored version differs."""
        ...

    async def list_newest_first(self, owner: UserId, *, limit: int, after: TaskKey | None) -> list[Task]:
        """Up to `limit` tasks ordered by (created_at, id) descending, strictly after `after`."""
        ...
