"""The change-feed contract (numbers, tombstones, retention), run against every adapter."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from taskhub.domain.model import TaskPatch
from taskhub.ports.unit_of_work import UnitOfWork
from tests.factories import T0, make_task, user

UowFactory = Callable[[], UnitOfWork]


@pytest.fixture(params=["in-transaction", "read-only"])
def reads(request: pytest.FixtureRequest, uow_factory: UowFactory) -> UowFactory:
    """The feed reads the same in a read-write unit of work and in a read-only one (the use case's)."""
    if request.param == "read-only":
        return lambda: uow_factory().reading()
    return uow_factory


async def test_every_write_appears_once_with_the_tasks_latest_state(
    uow_factory: UowFactory, reads: UowFactory
) -> None:
    owner = user()
    first, second = make_task(owner, "first"), make_task(owner, "second")
    async with uow_factory() as uow:
        await uow.tasks.add(first)
        await uow.tasks.add(second)
        await uow.commit()
    edited = first.patch(TaskPatch(title="first, edited"), T0 + timedelta(1))
    async with uow_factory() as uow:
        await uow.tasks.update(owner, edited, expected_version=1)
        await uow.commit()

    async with reads() as uow:
        changes = await uow.tasks.changes(owner, after=0, limit=10)
    assert [(c.task_id, c.task) for c in changes] == [(second.id, second), (first.id, edited)]
    assert changes[0].sequence < changes[1].sequence


async def test_a_deletion_is_a_tombstone_after_the_changes_before_it(
    uow_factory: UowFactory, reads: UowFactory
) -> None:
    owner = user()
    doomed, kept = make_task(owner, "doomed"), make_task(owner, "kept")
    async with uow_factory() as uow:
        await uow.tasks.add(doomed)
        await uow.tasks.add(kept)
        await uow.commit()
    async with uow_factory() as uow:
        await uow.tasks.delete(owner, doomed.id, at=T0)
        await uow.commit()

    async with reads() as uow:
        changes = await uow.tasks.changes(owner, after=0, limit=10)
    assert [(c.task_id, c.task) for c in changes] == [(kept.id, kept), (doomed.id, None)]


async def test_only_changes_after_the_given_number_are_returned_up_to_the_limit(
    uow_factory: UowFactory,
    reads: UowFactory,
) -> None:
    owner = user()
    tasks = [make_task(owner, f"t{i}") for i in range(5)]
    async with uow_factory() as uow:
        for task in tasks:
            await uow.tasks.add(task)
        await uow.commit()

    async with reads() as uow:
        everything = await uow.tasks.changes(owner, after=0, limit=10)
        later = await uow.tasks.changes(owner, after=everything[1].sequence, limit=2)
    assert [c.task_id for c in later] == [tasks[2].id, tasks[3].id]


async def test_the_feed_is_per_user(uow_factory: UowFactory, reads: UowFactory) -> None:
    alice, bob = user("alice"), user("bob")
    async with uow_factory() as uow:
        await uow.tasks.add(make_task(alice))
        await uow.commit()
    async with reads() as uow:
        assert await uow.tasks.changes(bob, after=0, limit=10) == []


async def test_purging_forgets_old_tombstones_and_raises_the_watermark(
    uow_factory: UowFactory, reads: UowFactory
) -> None:
    owner = user()
    old, recent, alive = make_task(owner, "old"), make_task(owner, "recent"), make_task(owner, "alive")
    async with uow_factory() as uow:
        for task in (old, recent, alive):
            await uow.tasks.add(task)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.tasks.sync_watermark() == 0
        await uow.tasks.delete(owner, old.id, at=T0)
        await uow.tasks.delete(owner, recent.id, at=T0 + timedelta(days=40))
        await uow.commit()
    async with uow_factory() as uow:
        tombstone_of_old = next(
            c for c in await uow.tasks.changes(owner, after=0, limit=10) if c.task_id == old.id
        )

    async with uow_factory() as uow:
        assert await uow.tasks.purge_tombstones(deleted_before=T0 + timedelta(days=10), batch_size=100) == 1
        await uow.commit()

    async with reads() as uow:
        remaining = [c.task_id for c in await uow.tasks.changes(owner, after=0, limit=10)]
        assert remaining == [alive.id, recent.id]
        assert await uow.tasks.sync_watermark() >= tombstone_of_old.sequence
        assert await uow.tasks.get(owner, alive.id) == alive
