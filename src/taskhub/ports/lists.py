"""Where lists live, always seen through their owner: the query side (`ListReader`) and the
write side (`ListRepository`, inside a unit of work that holds the owner, `UnitOfWork.hold`)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from taskhub.domain.lists import TaskList
from taskhub.domain.model import ListId, UserId
from taskhub.ports.deferred import Deferred


class ListReader(Protocol):
    """Committed lists, read without a unit of work; another user's list is none."""

    async def get_list(self, owner: UserId, list_id: ListId) -> TaskList | None: ...

    async def lists(self, owner: UserId) -> list[TaskList]:
        """The owner's live lists in their order: by position byte-wise, ties broken by id."""
        ...


class ListRepository(Protocol):
    """The write side. Every write of a list happens in a unit of work that holds its owner
    (`UnitOfWork.hold`): what a use case read there stays true until it commits, so the writes
    below check nothing but ownership and liveness."""

    async def get(self, owner: UserId, list_id: ListId) -> TaskList | None: ...

    async def all(self, owner: UserId) -> list[TaskList]:
        """The owner's live lists, in their order (as `ListReader.lists`)."""
        ...

    def add(self, task_list: TaskList) -> None:
        """Store a new list, with a change number."""
        ...

    def save(self, task_list: TaskList) -> None:
        """Store a revised list (name, position, version, updated_at), with a change number."""
        ...

    def delete(self, owner: UserId, list_id: ListId, *, at: datetime) -> Deferred[int]:
        """Mark the live list deleted at `at`, and every live task in it (each a tombstone with a
        new version and change number, for the change feed): how many tasks went with it."""
        ...

    def purge_tombstones(self, *, deleted_before: datetime, batch_size: int) -> Deferred[int]:
        """Maintenance, across owners: forget up to `batch_size` list deletions older than the
        retention whose tasks are forgotten already, raising the sync watermark past them."""
        ...
