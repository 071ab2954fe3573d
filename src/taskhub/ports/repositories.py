"""Where tasks live, always seen through their owner: the query side (`TaskReader`, committed
state, no transaction) and the write side (`TaskRepository`, inside a unit of work)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from taskhub.domain.errors import TaskhubError
from taskhub.domain.listing import NEWEST_FIRST, PageKey, Sort, TaskFilter
from taskhub.domain.lists import TaskList
from taskhub.domain.model import ListId, Task, TaskId, TaskPatch, UserId
from taskhub.domain.ordering import Sibling
from taskhub.domain.preconditions import VersionCondition
from taskhub.ports.deferred import Deferred


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


@dataclass(frozen=True, slots=True)
class ListChange:
    """One entry of the change feed about a list: its latest state, or its tombstone."""

    sequence: int
    list_id: ListId
    task_list: TaskList | None


class TaskReader(Protocol):
    """The query side: committed tasks, read without a unit of work. Ownership is part of the
    port: every method takes the owner and only ever sees that owner's tasks; another user's task
    is indistinguishable from none."""

    async def get(self, owner: UserId, task_id: TaskId) -> Task | None: ...

    async def find(self, owner: UserId, query: TaskQuery) -> list[Task]:
        """Up to `query.limit` live tasks matching the filter, in the query's total order."""
        ...

    async def changes(self, owner: UserId, *, after: int, limit: int) -> list[Change]:
        """Up to `limit` changes with a sequence number above `after`, in commit order.

        Every write takes its number when it commits relative to the owner's other writes, so a
        client that has read up to N can never miss a change numbered below N later on.
        """
        ...

    async def all_changes(self, owner: UserId, *, after: int, limit: int) -> list[Change | ListChange]:
        """`changes`, with the owner's lists' changes among the tasks', in one commit order."""
        ...

    async def sync_watermark(self, owner: UserId) -> int:
        """Change numbers at or below this may have lost tombstones, or `owner`'s erasure took
        everything of theirs: `owner`'s older sync tokens expired."""
        ...


class TaskRepository(Protocol):
    """The write side, inside a unit of work. `get` reads at once (writes the unit of work has
    flushed included); every other method is a write command: it waits for the unit of work to
    send it (`commit()`, `flush()`), and what it answers is known then. Each write command is one
    self-checking step: it writes what its sentence below says, or nothing."""

    async def get(self, owner: UserId, task_id: TaskId) -> Task | None: ...

    def add(self, task: Task) -> Deferred[Task]:
        """Store a new task, with a change number, at its position if it has one (a use case that
        holds the owner placed it), else last among its top-level siblings: the task as stored
        (its position given)."""
        ...

    # The tree and the order of a place, read by use cases that hold the owner
    # (`UnitOfWork.hold`): what they answer stays true until the unit of work ends.

    async def subtree(self, owner: UserId, task_id: TaskId) -> list[Task]:
        """The owner's live task and its live descendants, each level after its parent's, a
        level's tasks in their order; empty if there is no such task."""
        ...

    async def lineage(self, owner: UserId, task_id: TaskId) -> list[Task]:
        """The owner's live task and its live ancestors, nearest first; empty if there is no
        such task."""
        ...

    async def siblings(
        self, owner: UserId, list_id: ListId | None, parent_id: TaskId | None
    ) -> list[Sibling]:
        """The owner's live tasks at a place, in their order (by key byte-wise, then id): the
        children of `parent_id` (which share its list), or if None the top-level tasks of the list
        (None: the inbox)."""
        ...

    async def last_position(
        self, owner: UserId, list_id: ListId | None, parent_id: TaskId | None
    ) -> str | None:
        """The greatest key among `siblings` at that place, None if it has none."""
        ...

    def save(self, task: Task) -> None:
        """Store a revised task of a held owner (every field as given: content, stamps, position,
        version), with a change number, if it is live."""
        ...

    def revise(
        self,
        owner: UserId,
        task_id: TaskId,
        patch: TaskPatch,
        *,
        now: datetime,
        condition: VersionCondition | None = None,
    ) -> Deferred[Task | None]:
        """Revise the owner's live task by a validated `patch` as `Task.revised` does (a new
        version, a change number) if `condition` allows its version and the patch changes
        something: the revised task; otherwise None, having written nothing. The patch sets no
        field of `DECIDED_ON_READ` (the task's place, its completion, a repeating task's rule, due
        date or zone: a change to one is decided on the task as read, by a use case that then
        `save`s it); ValueError otherwise."""
        ...

    def delete(
        self, owner: UserId, task_id: TaskId, *, at: datetime, condition: VersionCondition | None = None
    ) -> Deferred[bool]:
        """Mark the owner's live task deleted at `at` (a tombstone, a new version and change
        number, for the change feed) if `condition` allows its version: whether it did."""
        ...

    def purge_tombstones(self, *, deleted_before: datetime, batch_size: int) -> Deferred[int]:
        """Maintenance, across owners: forget up to `batch_size` deletions older than the
        retention and raise the sync watermark past them: how many were forgotten."""
        ...
