"""`TaskRepository.apply_patch`, run against every adapter: an edit applied by the store in one
step does exactly what the domain's `Task.patch` does, or writes nothing and says so (None)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskhub.domain.model import KEEP, Priority, Task, TaskContent, TaskPatch
from taskhub.domain.preconditions import VersionCondition
from taskhub.ports.unit_of_work import UnitOfWork
from tests.factories import T0, make_task, task_id, user

UowFactory = Callable[[], UnitOfWork]
LATER = T0 + timedelta(hours=1)

# Few values per field, so that a patch often sets what the task already holds (nothing changes).
titles = st.sampled_from(["Buy milk", "Call mum", "Écrire 📝"])
due_dates = st.none() | st.sampled_from([T0, T0 + timedelta(days=1)])
contents = st.builds(
    TaskContent,
    title=titles,
    description=st.sampled_from(["", "line one\nline two"]),
    completed=st.booleans(),
    priority=st.sampled_from(Priority),
    due_at=due_dates,
    time_zone=st.none() | st.just("Europe/Paris"),
    tags=st.sampled_from([(), ("home",), ("home", "urgent")]),
)
patches = st.builds(
    TaskPatch,
    title=st.just(KEEP) | titles,
    description=st.just(KEEP) | st.sampled_from(["", "other"]),
    completed=st.just(KEEP) | st.booleans(),
    priority=st.just(KEEP) | st.sampled_from(Priority),
    due_at=st.just(KEEP) | due_dates,
    time_zone=st.just(KEEP) | st.none() | st.just("Asia/Tokyo"),
    tags=st.just(KEEP) | st.sampled_from([(), ("home",), ("urgent", "home")]),
)
conditions = (
    st.none() | st.just(VersionCondition.any_version()) | st.sampled_from([1, 2]).map(VersionCondition.one_of)
)


async def _stored(uow_factory: UowFactory, content: TaskContent) -> Task:
    owner = user()
    task = Task.create(task_id(), owner, content, T0)
    async with uow_factory() as uow:
        await uow.tasks.add(task)
        await uow.commit()
    return task


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=contents, patch=patches, condition=conditions, optimistic=st.booleans())
async def test_an_edit_in_place_is_the_domains_patch_or_nothing_at_all(
    uow_factory: UowFactory,
    content: TaskContent,
    patch: TaskPatch,
    condition: VersionCondition | None,
    optimistic: bool,
) -> None:
    task = await _stored(uow_factory, content)
    expected = task.patch(patch, LATER)
    applies = expected is not task and (condition is None or condition.allows(task.version))

    uow = uow_factory()
    async with uow.optimistic() if optimistic else uow:
        edited = await uow.tasks.apply_patch(task.owner_id, task.id, patch, now=LATER, condition=condition)
        await uow.commit()

    assert edited == (expected if applies else None)
    async with uow_factory() as uow:
        assert await uow.tasks.get(task.owner_id, task.id) == (expected if applies else task)
        # A change number for a write, none for nothing written: the feed holds the task once.
        feed = await uow.tasks.changes(task.owner_id, after=0, limit=10)
    assert [c.task for c in feed] == [expected if applies else task]


async def test_completing_stamps_the_time_and_reopening_clears_it(uow_factory: UowFactory) -> None:
    task = await _stored(uow_factory, TaskContent(title="t"))
    async with uow_factory() as uow:
        done = await uow.tasks.apply_patch(task.owner_id, task.id, TaskPatch(completed=True), now=LATER)
        again = await uow.tasks.apply_patch(
            task.owner_id, task.id, TaskPatch(completed=True), now=LATER + timedelta(hours=1)
        )
        reopened = await uow.tasks.apply_patch(
            task.owner_id, task.id, TaskPatch(completed=False), now=LATER + timedelta(hours=2)
        )
        await uow.commit()
    assert done is not None
    assert (done.content.completed, done.completed_at, done.version) == (True, LATER, 2)
    assert again is None
    assert reopened is not None
    assert (reopened.completed_at, reopened.version) == (None, 3)


@pytest.mark.parametrize("whose", ["another user's", "a deleted", "an unknown"])
async def test_an_edit_in_place_of_a_task_the_caller_does_not_have_writes_nothing(
    uow_factory: UowFactory, whose: str
) -> None:
    owner = user()
    task = make_task(owner)
    async with uow_factory() as uow:
        await uow.tasks.add(task)
        if whose == "a deleted":
            await uow.tasks.delete(owner, task.id, at=T0)
        await uow.commit()
    target = {"another user's": (user("mallory"), task.id), "an unknown": (owner, task_id())}
    caller, target_id = target.get(whose, (owner, task.id))

    async with uow_factory() as uow:
        assert await uow.tasks.apply_patch(caller, target_id, TaskPatch(title="mine now"), now=LATER) is None
        await uow.commit()
    async with uow_factory() as uow:
        feed = await uow.tasks.changes(owner, after=0, limit=10)
    assert [c.task.content.title if c.task else None for c in feed] == [
        None if whose == "a deleted" else "Buy milk"
    ]
