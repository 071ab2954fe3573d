"""The task repository port: where tasks live, always seen through their owner."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from taskhub.domain.errors import TaskhubError
from taskhub.domain.listing import NEWEST_FIRST, PageKey, Sort, TaskFilter
from taskhub.domain.model import Task, TaskId, TaskPatch, UserId
from taskhub.domain.preconditions import VersionCondition


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
class TaskQuery:
    """Filters, order and the page: keyset pagination, strictly after `after`, no OFFSET."""

    filter: TaskFilter = field(default_factory=TaskFilter)
    sort: Sort = NEWEST_FIRST
    limit: int = 50
    after: PageKey | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of the change feed: the task's latest state, or its tombstone (`task=None`)."""

    sequence: int
    task_id: TaskId
    task: Task | None


class TaskRepository(Protocol):
    """Ownership is part of the port: every method takes the owner and only ever sees that
    owner's tasks. Another user's task is indistinguishable from none."""

    async def add(self, task: Task) -> None: ...

    async def get(self, owner: UserId, task_id: TaskId) -> Task | None: ...

    async def get_for_change(self, owner: UserId, task_id: TaskId) -> Task | None:
        """`get`, for a caller about to write: adapters may take the owner's write lock here."""
        ...

    async def update(self, owner: UserId, task: Task, *, expected_version: int) -> bool:
        """Store `task` if the stored version is still `expected_version`; False otherwise."""
        ...

    async def apply_patch(
        self,
        owner: UserId,
        task_id: TaskId,
        patch: TaskPatch,
        *,
        now: datetime,
        condition: VersionCondition | None = None,
    ) -> Task | None:
        """Revise the stored task by a validated `patch` in one step: the revised task, exactly
        what `stored.patch(patch, now)` is (a new version, a change number). None, having written
        nothing, when there is no such live task, when `condition` does not allow its version, or
        when the patch changes nothing: the caller reads to tell which."""
        ...

    async def delete(
        self, owner: UserId, task_id: TaskId, *, at: datetime, expected_version: int | None = None
    ) -> bool:
        """Mark the task deleted (a tombstone stays for sync); False when there was none, or when
        `expected_version` is given and the stored version differs."""
        ...

    async def find(self, owner: UserId, query: TaskQuery) -> list[Task]:
        """Up to `query.limit` live tasks matching the filter, in the query's total order."""
        ...

    async def changes(self, owner: UserId, *, after: int, limit: int) -> list[Change]:
        """Up to `limit` changes with a sequence number above `after`, in commit order.

        Every write takes its number when it commits relative to the owner's other writes, so a
        client that has read up to N can never miss a change numbered below N later on.
        """
        ...

    async def purge_tombstones(self, *, deleted_before: datetime, batch_size: int) -> int:
        """Maintenance, across owners: forget up to `batch_size` deletions older than the
        retention, and raise the sync watermark past them. The number purged."""
        ...

    async def sync_watermark(self) -> int:
        """Change numbers at or below this may have lost tombstones: older sync tokens expired."""
        ...
