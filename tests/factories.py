"""Small builders that keep tests about behaviour, not set-up."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from taskhub.domain.lists import TaskList
from taskhub.domain.model import ListId, Task, TaskContent, TaskId, UserId
from taskhub.domain.positions import key_after

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def task_id() -> TaskId:
    return TaskId(uuid.uuid4())


def user(name: str = "alice") -> UserId:
    return UserId(f"{name}-{uuid.uuid4().hex[:8]}")


def make_task(owner: UserId, title: str = "Buy milk", *, at: datetime = T0, **content: object) -> Task:
    return Task.create(task_id(), owner, TaskContent(title=title, **content), at)  # type: ignore[arg-type]


_LAST_POSITION: dict[UserId, str] = {}


def make_list(owner: UserId, name: str = "Groceries", *, at: datetime = T0) -> TaskList:
    """A new list of `owner`'s, after the lists made for them before."""
    position = key_after(_LAST_POSITION.get(owner))
    _LAST_POSITION[owner] = position
    return TaskList.create(ListId(uuid.uuid4()), owner, name, position, at)


class FixedClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float = 1) -> None:
        self.current += timedelta(seconds=seconds)
