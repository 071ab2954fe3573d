"""The TaskRepository and TaskReader contract, run against every adapter (PostgreSQL and memory):
what each command writes, what each read sees, always through the owner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from taskhub.domain.listing import PageKey
from taskhub.domain.model import Priority, TaskPatch
from taskhub.domain.preconditions import VersionCondition
from taskhub.ports.repositories import TaskQuery
from tests.conftest import Storage
from tests.factories import T0, make_task, task_id, user

LATER = T0 + timedelta(minutes=1)


async def test_an_added_task_is_read_back_by_its_owner_with_every_field(storage: Storage) -> None:
    owner = user()
    task = make_task(
        owner,
        "Écrire 📝 — שלום",
        description="line one\nline\ttwo",
        completed=True,
        priority=Priority.HIGH,
        due_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        time_zone="Europe/Paris",
        tags=("home", "urgent"),
    )
    (task,) = await storage.add(task)

    assert await storage.reader.get(owner, task.id) == task
    async with storage.uow() as uow:
        assert await uow.tasks.get(owner, task.id) == task


async def test_a_user_never_sees_nor_changes_another_users_task(storage: Storage) -> None:
    alice, mallory = user("alice"), user("mallory")
    task = make_task(alice)
    (task,) = await storage.add(task)

    assert await storage.reader.get(mallory, task.id) is None
    assert await storage.reader.find(mallory, TaskQuery()) == []
    async with storage.uow() as uow:
        assert await uow.tasks.get(mallory, task.id) is None
        revised = uow.tasks.revise(mallory, task.id, TaskPatch.of(title="hijacked"), now=LATER)
        deleted = uow.tasks.delete(mallory, task.id, at=LATER)
        await uow.commit()
    assert (revised.value, deleted.value) == (None, False)
    assert await storage.reader.get(alice, task.id) == task


async def test_an_unknown_id_is_none(storage: Storage) -> None:
    assert await storage.reader.get(user(), task_id()) is None


async def test_a_revision_the_condition_allows_is_stored(storage: Storage) -> None:
    task = make_task(user())
    (task,) = await storage.add(task)
    patch = TaskPatch.of(title="Buy oat milk", priority=Priority.HIGH)

    async with storage.uow() as uow:
        revised = uow.tasks.revise(
            task.owner_id, task.id, patch, now=LATER, condition=VersionCondition.one_of(task.version)
        )
        await uow.commit()

    assert revised.value == task.revised(patch, LATER)
    assert await storage.reader.get(task.owner_id, task.id) == revised.value


async def test_a_revision_the_condition_refuses_writes_nothing(storage: Storage) -> None:
    task = make_task(user())
    (task,) = await storage.add(task)

    async with storage.uow() as uow:
        revised = uow.tasks.revise(
            task.owner_id,
            task.id,
            TaskPatch.of(title="late"),
            now=LATER,
            condition=VersionCondition.one_of(7),
        )
        await uow.commit()

    assert revised.value is None
    assert await storage.reader.get(task.owner_id, task.id) == task


async def test_a_deleted_task_is_gone_for_reads_revisions_lists_and_deletions(storage: Storage) -> None:
    owner = user()
    task = make_task(owner)
    (task,) = await storage.add(task)
    async with storage.uow() as uow:
        deleted = uow.tasks.delete(owner, task.id, at=LATER)
        await uow.commit()
    assert deleted.value is True

    assert await storage.reader.get(owner, task.id) is None
    assert await storage.reader.find(owner, TaskQuery()) == []
    async with storage.uow() as uow:
        revised = uow.tasks.revise(owner, task.id, TaskPatch.of(title="resurrected"), now=LATER)
        again = uow.tasks.delete(owner, task.id, at=LATER)
        await uow.commit()
    assert (revised.value, again.value) == (None, False)


async def test_a_deletion_the_condition_refuses_writes_nothing(storage: Storage) -> None:
    task = make_task(user())
    (task,) = await storage.add(task)
    async with storage.uow() as uow:
        refused = uow.tasks.delete(task.owner_id, task.id, at=LATER, condition=VersionCondition.one_of(2))
        await uow.commit()
    assert refused.value is False
    assert await storage.reader.get(task.owner_id, task.id) == task

    async with storage.uow() as uow:
        allowed = uow.tasks.delete(task.owner_id, task.id, at=LATER, condition=VersionCondition.one_of(1))
        await uow.commit()
    assert allowed.value is True


async def test_listing_is_newest_first_and_resumes_strictly_after_a_key(storage: Storage) -> None:
    owner = user()
    # Two tasks share a timestamp: the id breaks the tie so the order is total.
    tasks = [make_task(owner, f"task {i}", at=T0 + timedelta(seconds=i // 2)) for i in range(6)]
    tasks = await storage.add(*tasks)

    expected = sorted(tasks, key=lambda t: (t.created_at, t.id), reverse=True)
    first = await storage.reader.find(owner, TaskQuery(limit=4))
    last = first[-1]
    rest = await storage.reader.find(owner, TaskQuery(limit=4, after=PageKey(last.created_at, last.id)))
    assert first + rest == expected


async def test_listing_only_returns_the_owners_tasks(storage: Storage) -> None:
    alice, bob = user("alice"), user("bob")
    mine, theirs = make_task(alice), make_task(bob)
    mine, theirs = await storage.add(mine, theirs)
    assert await storage.reader.find(alice, TaskQuery()) == [mine]


async def test_a_patch_that_sets_nothing_revises_nothing(storage: Storage) -> None:
    task = make_task(user())
    (task,) = await storage.add(task)
    async with storage.uow() as uow:
        revised = uow.tasks.revise(task.owner_id, task.id, TaskPatch(), now=LATER)
        await uow.commit()
    assert revised.value is None
    assert await storage.reader.get(task.owner_id, task.id) == task
