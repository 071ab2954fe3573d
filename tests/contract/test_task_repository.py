"""The TaskRepository / UnitOfWork contract, run against every adapter (PostgreSQL and memory)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from taskhub.domain.listing import PageKey
from taskhub.domain.model import Priority, TaskContent
from taskhub.ports.repositories import TaskQuery
from taskhub.ports.unit_of_work import UnitOfWork
from tests.factories import T0, make_task, task_id, user

UowFactory = Callable[[], UnitOfWork]


async def test_an_added_task_is_read_back_by_its_owner_with_every_field(uow_factory: UowFactory) -> None:
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
    async with uow_factory() as uow:
        await uow.tasks.add(task)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.tasks.get(owner, task.id) == task


async def test_uncommitted_work_is_rolled_back(uow_factory: UowFactory) -> None:
    owner = user()
    task = make_task(owner)
    async with uow_factory() as uow:
        await uow.tasks.add(task)

    async with uow_factory() as uow:
        assert await uow.tasks.get(owner, task.id) is None


async def test_work_is_rolled_back_when_the_unit_of_work_fails(uow_factory: UowFactory) -> None:
    owner = user()
    task = make_task(owner)
    with pytest.raises(RuntimeError):  # noqa: PT012 - the failure must happen inside the unit of work
        async with uow_factory() as uow:
            await uow.tasks.add(task)
            raise RuntimeError("the use case failed before commit")

    async with uow_factory() as uow:
        assert await uow.tasks.get(owner, task.id) is None


async def test_a_user_never_sees_another_users_task(uow_factory: UowFactory) -> None:
    alice, mallory = user("alice"), user("mallory")
    task = make_task(alice)
    async with uow_factory() as uow:
        await uow.tasks.add(task)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.tasks.get(mallory, task.id) is None
        assert await uow.tasks.find(mallory, TaskQuery()) == []
        changed = task.replace(TaskContent(title="hijacked"), T0 + timedelta(seconds=1))
        assert await uow.tasks.update(mallory, changed, expected_version=task.version) is False
        assert await uow.tasks.delete(mallory, task.id, at=T0) is False
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.tasks.get(alice, task.id) == task


async def test_an_unknown_id_is_none(uow_factory: UowFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.tasks.get(user(), task_id()) is None


async def test_an_update_at_the_current_version_is_stored(uow_factory: UowFactory) -> None:
    owner = user()
    task = make_task(owner)
    async with uow_factory() as uow:
        await uow.tasks.add(task)
        await uow.commit()

    changed = task.replace(TaskContent(title="Buy oat milk", completed=True), T0 + timedelta(minutes=1))
    async with uow_factory() as uow:
        assert await uow.tasks.update(owner, changed, expected_version=task.version) is True
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.tasks.get(owner, task.id) == changed


async def test_an_update_at_a_stale_version_changes_nothing(uow_factory: UowFactory) -> None:
    owner = user()
    task = make_task(owner)
    async with uow_factory() as uow:
        await uow.tasks.add(task)
        await uow.commit()

    changed = task.replace(TaskContent(title="late write"), T0 + timedelta(minutes=1))
    async with uow_factory() as uow:
        assert await uow.tasks.update(owner, changed, expected_version=task.version + 1) is False
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.tasks.get(owner, task.id) == task


async def test_a_deleted_task_is_gone_for_reads_writes_and_lists(uow_factory: UowFactory) -> None:
    owner = user()
    task = make_task(owner)
    async with uow_factory() as uow:
        await uow.tasks.add(task)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.tasks.delete(owner, task.id, at=T0 + timedelta(hours=1)) is True
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.tasks.get(owner, task.id) is None
        assert await uow.tasks.find(owner, TaskQuery()) == []
        changed = task.replace(TaskContent(title="resurrected"), T0 + timedelta(hours=2))
        assert await uow.tasks.update(owner, changed, expected_version=task.version) is False
        assert await uow.tasks.delete(owner, task.id, at=T0 + timedelta(hours=2)) is False


async def test_listing_is_newest_first_and_resumes_strictly_after_a_key(uow_factory: UowFactory) -> None:
    owner = user()
    # Two tasks share a timestamp: the id breaks the tie so the order is total.
    tasks = [make_task(owner, f"task {i}", at=T0 + timedelta(seconds=i // 2)) for i in range(6)]
    async with uow_factory() as uow:
        for task in tasks:
            await uow.tasks.add(task)
        await uow.commit()

    expected = sorted(tasks, key=lambda t: (t.created_at, t.id), reverse=True)
    async with uow_factory() as uow:
        first = await uow.tasks.find(owner, TaskQuery(limit=4))
        last = first[-1]
        rest = await uow.tasks.find(owner, TaskQuery(limit=4, after=PageKey(last.created_at, last.id)))

    assert first + rest == expected


async def test_listing_only_returns_the_owners_tasks(uow_factory: UowFactory) -> None:
    alice, bob = user("alice"), user("bob")
    mine, theirs = make_task(alice), make_task(bob)
    async with uow_factory() as uow:
        await uow.tasks.add(mine)
        await uow.tasks.add(theirs)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.tasks.find(alice, TaskQuery()) == [mine]


async def test_a_delete_at_a_stale_version_changes_nothing(uow_factory: UowFactory) -> None:
    owner = user()
    task = make_task(owner)
    async with uow_factory() as uow:
        await uow.tasks.add(task)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.tasks.delete(owner, task.id, at=T0, expected_version=task.version + 1) is False
        assert await uow.tasks.delete(owner, task.id, at=T0, expected_version=task.version) is True
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.tasks.get(owner, task.id) is None


async def test_reading_for_a_change_sees_what_get_sees(uow_factory: UowFactory) -> None:
    owner = user()
    task = make_task(owner)
    async with uow_factory() as uow:
        await uow.tasks.add(task)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.tasks.get_for_change(owner, task.id) == task
        assert await uow.tasks.get_for_change(user("mallory"), task.id) is None
        assert await uow.tasks.get_for_change(owner, task_id()) is None


async def test_a_read_only_unit_of_work_reads_committed_tasks(uow_factory: UowFactory) -> None:
    owner = user()
    task = make_task(owner)
    async with uow_factory() as uow:
        await uow.tasks.add(task)
        await uow.commit()

    async with uow_factory().reading() as uow:
        assert await uow.tasks.get(owner, task.id) == task
        assert await uow.tasks.find(owner, TaskQuery()) == [task]
