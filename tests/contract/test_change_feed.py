"""The change feed part of the contract, run against every adapter."""

from __future__ import annotations

from datetime import timedelta

from taskhub.domain.model import TaskPatch
from tests.conftest import Storage
from tests.factories import T0, make_task, user


async def test_every_write_appears_once_in_commit_order_with_the_latest_state(storage: Storage) -> None:
    owner = user()
    first, second = make_task(owner, "first"), make_task(owner, "second")
    first, second = await storage.add(first, second)
    async with storage.uow() as uow:
        edited = uow.tasks.revise(owner, first.id, TaskPatch.of(title="first, edited"), now=T0 + timedelta(1))
        await uow.commit()

    changes = await storage.reader.changes(owner, after=0, limit=10)
    assert [c.task for c in changes] == [second, edited.value]
    assert changes[0].sequence < changes[1].sequence


async def test_a_deletion_appears_as_a_tombstone(storage: Storage) -> None:
    owner = user()
    doomed, kept = make_task(owner, "doomed"), make_task(owner, "kept")
    doomed, kept = await storage.add(doomed, kept)
    async with storage.uow() as uow:
        uow.tasks.delete(owner, doomed.id, at=T0)
        await uow.commit()

    changes = await storage.reader.changes(owner, after=0, limit=10)
    assert [(c.task_id, c.task) for c in changes] == [(kept.id, kept), (doomed.id, None)]


async def test_only_changes_after_the_given_number_are_returned_up_to_the_limit(storage: Storage) -> None:
    owner = user()
    tasks = [make_task(owner, f"t{i}") for i in range(5)]
    tasks = await storage.add(*tasks)

    everything = await storage.reader.changes(owner, after=0, limit=10)
    later = await storage.reader.changes(owner, after=everything[1].sequence, limit=2)
    assert [c.task_id for c in later] == [tasks[2].id, tasks[3].id]


async def test_the_feed_is_per_user(storage: Storage) -> None:
    alice, bob = user("alice"), user("bob")
    await storage.add(make_task(alice))
    assert await storage.reader.changes(bob, after=0, limit=10) == []


async def test_purging_forgets_old_tombstones_and_raises_the_watermark(storage: Storage) -> None:
    owner = user()
    old, recent, alive = make_task(owner, "old"), make_task(owner, "recent"), make_task(owner, "alive")
    old, recent, alive = await storage.add(old, recent, alive)
    assert await storage.reader.sync_watermark(owner) == 0
    async with storage.uow() as uow:
        uow.tasks.delete(owner, old.id, at=T0)
        uow.tasks.delete(owner, recent.id, at=T0 + timedelta(days=40))
        await uow.commit()
    [tombstone_of_old] = [
        c for c in await storage.reader.changes(owner, after=0, limit=10) if c.task_id == old.id
    ]

    async with storage.uow() as uow:
        purged = uow.tasks.purge_tombstones(deleted_before=T0 + timedelta(days=10), batch_size=100)
        await uow.commit()

    assert purged.value == 1
    remaining = [c.task_id for c in await storage.reader.changes(owner, after=0, limit=10)]
    assert remaining == [alive.id, recent.id]
    assert await storage.reader.sync_watermark(owner) >= tombstone_of_old.sequence
    assert await storage.reader.get(owner, alive.id) == alive


async def test_purging_in_batches_stops_at_the_batch_size(storage: Storage) -> None:
    owner = user()
    doomed = [make_task(owner, f"d{i}") for i in range(3)]
    await storage.add(*doomed)
    async with storage.uow() as uow:
        for task in doomed:
            uow.tasks.delete(owner, task.id, at=T0)
        await uow.commit()

    counts = []
    for _ in range(3):
        async with storage.uow() as uow:
            purged = uow.tasks.purge_tombstones(deleted_before=T0 + timedelta(days=1), batch_size=2)
            await uow.commit()
        counts.append(purged.value)
    assert counts == [2, 1, 0]
