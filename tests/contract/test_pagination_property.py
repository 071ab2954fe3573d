"""Property: walking every page, whatever the sort and page sizes, while tasks are created and
deleted between pages, returns each task that survives exactly once (both adapters)."""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskhub.application.tasks import TaskService
from taskhub.domain.errors import TaskNotFound
from taskhub.domain.listing import Sort
from taskhub.domain.model import Priority, TaskContent, TaskId, TaskPatch
from taskhub.entrypoints.http.listing import SORT_VALUES
from tests.conftest import Storage
from tests.factories import T0, FixedClock, user


class CountingIds:
    """Ids in creation order: the walk (page boundaries, ties broken by id) must replay exactly
    when Hypothesis runs an example again, which random ids would not. A random prefix per
    example keeps them unique in the table; it orders all of an example's ids alike."""

    def __init__(self) -> None:
        self._prefix = uuid.uuid4().int >> 64 << 64
        self._next = 0

    def new_task_id(self) -> TaskId:
        self._next += 1
        return TaskId(uuid.UUID(int=self._prefix | self._next))


contents = st.builds(
    TaskContent,
    title=st.sampled_from(["alpha", "beta", "Gamma", "delta", "beta"]),
    priority=st.sampled_from(Priority),
    due_at=st.none() | st.integers(0, 5).map(lambda d: T0 + timedelta(days=d)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_pages_never_skip_or_repeat_a_surviving_task(storage: Storage, data: st.DataObject) -> None:
    clock = FixedClock()
    service = TaskService(storage.uow, storage.reader, clock, CountingIds())
    owner = user()

    async def add(content: TaskContent) -> TaskId:
        # Equal timestamps happen (0 s steps): ties must be broken by id.
        clock.advance(data.draw(st.sampled_from([0, 1])))
        return (await service.create(owner, TaskPatch.replacing(content))).value.id

    initial = {await add(c) for c in data.draw(st.lists(contents, min_size=1, max_size=25))}
    sort = Sort.parse(data.draw(st.sampled_from(SORT_VALUES)))
    seen: list[TaskId] = []
    deleted: set[TaskId] = set()
    cursor = None
    while True:
        page = await service.list(owner, sort=sort, limit=data.draw(st.integers(1, 6)), cursor=cursor)
        seen += [task.id for task in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
        for content in data.draw(st.lists(contents, max_size=3)):
            await add(content)
        for victim in data.draw(st.lists(st.sampled_from(sorted(initial)), max_size=2)):
            with contextlib.suppress(TaskNotFound):  # already deleted earlier in this walk
                await service.delete(owner, victim)
            deleted.add(victim)

    assert len(seen) == len(set(seen)), "a task was returned twice"
    assert initial - deleted <= set(seen), "a surviving task was skipped"
