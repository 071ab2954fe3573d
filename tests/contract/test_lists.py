"""The ListRepository and ListReader contract, run against every adapter through the list use
cases (every list write reads, decides, then writes, the owner held): what each write stores,
what each read sees, always through the owner; the per-user limit; races that must serialize."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from taskhub.adapters.system import TimeOrderedIdGenerator
from taskhub.application.lists import ListService
from taskhub.application.tasks import TaskService
from taskhub.domain.errors import InvalidTask, ListNotFound, PreconditionFailed, TooManyLists
from taskhub.domain.lists import LISTS_PER_USER_MAX
from taskhub.domain.model import TaskPatch
from taskhub.domain.ordering import FIRST, MoveTarget
from taskhub.domain.preconditions import VersionCondition
from taskhub.ports.repositories import ListChange
from tests.conftest import Storage
from tests.factories import T0, FixedClock, make_list, user


def lists_on(storage: Storage, clock: FixedClock | None = None) -> ListService:
    return ListService(storage.uow, storage.reader, clock or FixedClock(), TimeOrderedIdGenerator())  # type: ignore[arg-type]


def tasks_on(storage: Storage) -> TaskService:
    return TaskService(storage.uow, storage.reader, FixedClock(), TimeOrderedIdGenerator())


async def test_a_created_list_is_read_back_by_its_owner_only(storage: Storage) -> None:
    service, owner = lists_on(storage), user()
    created = (await service.create(owner, " Groceries ")).value
    assert (created.name, created.version, created.created_at) == ("Groceries", 1, T0)
    assert await service.get(owner, created.id) == created
    assert await service.all(owner) == [created]
    with pytest.raises(ListNotFound):
        await service.get(user("mallory"), created.id)
    assert await service.all(user("mallory")) == []


async def test_lists_come_in_creation_order_with_increasing_keys(storage: Storage) -> None:
    service, owner = lists_on(storage), user()
    made = [(await service.create(owner, name)).value for name in ("a", "b", "c")]
    assert await service.all(owner) == made
    assert [m.position for m in made] == sorted(m.position for m in made)


async def test_a_user_has_at_most_the_limit_of_lists(storage: Storage) -> None:
    owner = user()
    await storage.add_lists(*(make_list(owner, f"list {n}") for n in range(LISTS_PER_USER_MAX - 1)))
    service = lists_on(storage)
    await service.create(owner, "the last one allowed")
    with pytest.raises(TooManyLists):
        await service.create(owner, "one too many")
    assert len(await service.all(owner)) == LISTS_PER_USER_MAX
    await service.create(user("someone else"), "theirs")


async def test_concurrent_creates_at_the_limit_admit_exactly_one(storage: Storage) -> None:
    owner = user()
    await storage.add_lists(*(make_list(owner, f"list {n}") for n in range(LISTS_PER_USER_MAX - 1)))
    service = lists_on(storage)
    results = await asyncio.gather(
        *(service.create(owner, f"race {n}") for n in range(5)), return_exceptions=True
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1
    assert all(isinstance(r, TooManyLists) for r in results if isinstance(r, BaseException))


async def test_concurrent_creates_take_distinct_keys(storage: Storage) -> None:
    service, owner = lists_on(storage), user()
    await asyncio.gather(*(service.create(owner, f"list {n}") for n in range(8)))
    keys = [m.position for m in await service.all(owner)]
    assert len(set(keys)) == 8


async def test_a_rename_is_a_new_version_at_the_clocks_time(storage: Storage) -> None:
    clock = FixedClock()
    service, owner = lists_on(storage, clock), user()
    created = (await service.create(owner, "Groceries")).value
    clock.advance(60)
    renamed = (await service.rename(owner, created.id, "Food", VersionCondition.one_of(1))).value
    assert (renamed.name, renamed.version, renamed.updated_at) == ("Food", 2, T0 + timedelta(seconds=60))
    assert await service.get(owner, created.id) == renamed
    with pytest.raises(PreconditionFailed):
        await service.rename(owner, created.id, "Stale", VersionCondition.one_of(1))


async def test_another_users_list_cannot_be_changed(storage: Storage) -> None:
    service, owner, mallory = lists_on(storage), user(), user("mallory")
    created = (await service.create(owner, "Groceries")).value
    with pytest.raises(ListNotFound):
        await service.rename(mallory, created.id, "mine")
    with pytest.raises(ListNotFound):
        await service.move(mallory, created.id, FIRST)
    with pytest.raises(ListNotFound):
        await service.delete(mallory, created.id)
    assert await service.get(owner, created.id) == created


async def test_deleting_a_list_deletes_its_live_tasks_with_tombstones(storage: Storage) -> None:
    lists, tasks, owner = lists_on(storage), tasks_on(storage), user()
    doomed = (await lists.create(owner, "Groceries")).value
    inside = (await tasks.create(owner, TaskPatch.of(title="milk", list_id=doomed.id))).value
    outside = (await tasks.create(owner, TaskPatch.of(title="call mum"))).value
    await lists.delete(owner, doomed.id)
    with pytest.raises(ListNotFound):
        await lists.get(owner, doomed.id)
    assert [t.id for t in (await tasks.list(owner)).items] == [outside.id]
    feed = (await tasks.all_changes(owner)).changes
    tombstones = {
        c.list_id if isinstance(c, ListChange) else c.task_id
        for c in feed
        if (c.task_list if isinstance(c, ListChange) else c.task) is None
    }
    assert tombstones == {doomed.id, inside.id}


async def test_a_task_cannot_go_into_a_deleted_list(storage: Storage) -> None:
    lists, tasks, owner = lists_on(storage), tasks_on(storage), user()
    gone = (await lists.create(owner, "Groceries")).value
    await lists.delete(owner, gone.id)
    with pytest.raises(InvalidTask) as refused:
        await tasks.create(owner, TaskPatch.of(title="milk", list_id=gone.id))
    assert [e.field for e in refused.value.errors] == ["list_id"]


async def test_a_move_changes_one_key_and_keeps_the_others(storage: Storage) -> None:
    service, owner = lists_on(storage), user()
    a, b, c = [(await service.create(owner, name)).value for name in ("a", "b", "c")]
    moved = (await service.move(owner, a.id, MoveTarget(after=c.id))).value
    assert moved.version == 2
    assert await service.all(owner) == [b, c, moved]


async def test_a_move_among_tied_keys_rekeys_the_set_and_versions_each_changed_list(storage: Storage) -> None:
    # Lists stored at one key, as two creates that raced could leave them.
    service, owner = lists_on(storage), user()
    a, b, c = sorted((replace(make_list(owner, name), position="a0") for name in "abc"), key=lambda x: x.id)
    await storage.add_lists(a, b, c)
    moved = (await service.move(owner, c.id, MoveTarget(after=a.id))).value
    after = await service.all(owner)
    assert [x.id for x in after] == [a.id, c.id, b.id]
    assert [x.position for x in after] == ["a0", "a1", "a2"]
    # `a` keeps its key and its version; the two re-keyed lists are new versions.
    assert [x.version for x in after] == [1, 2, 2]
    assert moved == after[1]


async def test_the_feed_holds_each_list_write_once_in_commit_order(storage: Storage) -> None:
    service, tasks, owner = lists_on(storage), tasks_on(storage), user()
    created = (await service.create(owner, "Groceries")).value
    renamed = (await service.rename(owner, created.id, "Food")).value
    feed = (await tasks.all_changes(owner)).changes
    assert feed == [ListChange(sequence=feed[0].sequence, list_id=created.id, task_list=renamed)]
    assert (await tasks.changes(owner)).changes == []
