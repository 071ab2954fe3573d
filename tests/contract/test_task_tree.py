"""Subtasks and moves, run against every adapter: the repository's tree reads (`subtree`,
`lineage`, `siblings`, `last_position`) and whole-task `save`, then the task use cases that stand
on them, the owner held: what each write changes across the tree, each change a new version with
its own change-feed entry, and the race of two moves that would together make a cycle."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from taskhub.adapters.system import TimeOrderedIdGenerator
from taskhub.application.tasks import TaskService
from taskhub.domain.errors import InvalidTask, PreconditionFailed, TaskNotFound
from taskhub.domain.listing import Sort
from taskhub.domain.model import Task, TaskId, TaskPatch, UserId
from taskhub.domain.ordering import FIRST, MoveTarget, Sibling
from taskhub.domain.preconditions import VersionCondition
from tests.conftest import Storage
from tests.contract.test_lists import lists_on
from tests.factories import T0, FixedClock, make_task, user


def tasks_on(storage: Storage, clock: FixedClock | None = None) -> TaskService:
    return TaskService(storage.uow, storage.reader, clock or FixedClock(), TimeOrderedIdGenerator())  # type: ignore[arg-type]


async def family(service: TaskService, owner: UserId, *titles: str) -> list[Task]:
    """A chain: each task a subtask of the one before."""
    made: list[Task] = []
    for title in titles:
        fields = TaskPatch.of(title=title, parent_id=made[-1].id if made else None)
        made.append((await service.create(owner, fields)).value)
    return made


async def feed_ids(storage: Storage, owner: UserId, after: int) -> list[TaskId]:
    return [change.task_id for change in await storage.reader.changes(owner, after=after, limit=100)]


async def last_sequence(storage: Storage, owner: UserId) -> int:
    changes = await storage.reader.changes(owner, after=0, limit=100)
    return changes[-1].sequence if changes else 0


# --- the port -----------------------------------------------------------------------------------


async def test_a_subtree_is_the_task_then_each_level_in_order_and_only_the_owners(storage: Storage) -> None:
    owner = user()
    top = make_task(owner, "top")
    first, second = make_task(owner, "a", parent_id=top.id), make_task(owner, "b", parent_id=top.id)
    grandchild = make_task(owner, "c", parent_id=second.id)
    stored = await storage.add(
        top.placed("a0"), second.placed("a1"), first.placed("a0"), grandchild.placed("a0")
    )
    async with storage.uow() as uow:
        await uow.hold(owner)
        subtree = await uow.tasks.subtree(owner, top.id)
        assert [t.id for t in subtree] == [top.id, first.id, second.id, grandchild.id]
        assert subtree[0] == stored[0]
        assert [t.id for t in await uow.tasks.lineage(owner, grandchild.id)] == [
            grandchild.id,
            second.id,
            top.id,
        ]
        assert await uow.tasks.subtree(user("mallory"), top.id) == []
        assert await uow.tasks.lineage(user("mallory"), grandchild.id) == []
        assert await uow.tasks.subtree(owner, TaskId(uuid.uuid4())) == []


async def test_siblings_are_a_places_live_tasks_in_key_order_then_id(storage: Storage) -> None:
    owner = user()
    parent = make_task(owner, "parent")
    late, early = (
        make_task(owner, "late", parent_id=parent.id),
        make_task(owner, "early", parent_id=parent.id),
    )
    tie = make_task(owner, "tie", parent_id=parent.id)
    await storage.add(parent.placed("a0"), late.placed("a2"), early.placed("a1"), tie.placed("a1"))
    async with storage.uow() as uow:
        await uow.hold(owner)
        children = await uow.tasks.siblings(owner, None, parent.id)
        tied = sorted([early.id, tie.id])
        assert children == [Sibling(tied[0], "a1"), Sibling(tied[1], "a1"), Sibling(late.id, "a2")]
        assert await uow.tasks.siblings(owner, None, None) == [Sibling(parent.id, "a0")]
        assert await uow.tasks.last_position(owner, None, parent.id) == "a2"
        assert await uow.tasks.last_position(owner, None, late.id) is None
        assert await uow.tasks.siblings(user("mallory"), None, parent.id) == []


async def test_a_saved_task_is_stored_whole_with_a_change_number(storage: Storage) -> None:
    owner = user()
    (task,) = await storage.add(make_task(owner))
    before = await last_sequence(storage, owner)
    saved = task.revised(TaskPatch.of(title="Renamed", completed=True), T0, position="b0")
    async with storage.uow() as uow:
        await uow.hold(owner)
        uow.tasks.save(saved)
        await uow.commit()
    assert await storage.reader.get(owner, task.id) == saved
    assert await feed_ids(storage, owner, before) == [task.id]


# --- the use cases ------------------------------------------------------------------------------


async def test_a_subtask_created_without_a_list_goes_into_its_parents_list_last_among_its_siblings(
    storage: Storage,
) -> None:
    owner = user()
    groceries = (await lists_on(storage).create(owner, "Groceries")).value
    service = tasks_on(storage)
    parent = (await service.create(owner, TaskPatch.of(title="Party", list_id=groceries.id))).value
    children = [
        (await service.create(owner, TaskPatch.of(title=f"step {n}", parent_id=parent.id))).value
        for n in range(3)
    ]
    assert {c.content.list_id for c in children} == {groceries.id}
    keys = [c.position.encode() for c in children]
    assert keys == sorted(keys)
    assert len(set(keys)) == 3


async def test_a_parent_that_is_not_the_callers_task_is_refused_and_nothing_is_written(
    storage: Storage,
) -> None:
    owner, service = user(), tasks_on(storage)
    theirs = (await service.create(user("bob"), TaskPatch.of(title="theirs"))).value
    for parent in (theirs.id, TaskId(uuid.uuid4())):
        with pytest.raises(InvalidTask) as error:
            await service.create(owner, TaskPatch.of(title="t", parent_id=parent))
        assert [e.field for e in error.value.errors] == ["parent_id"]
    assert (await service.list(owner)).items == []


async def test_completing_a_task_completes_its_open_subtree_each_with_its_own_feed_entry(
    storage: Storage,
) -> None:
    owner, service = user(), tasks_on(storage)
    top, middle, bottom = await family(service, owner, "top", "middle", "bottom")
    before = await last_sequence(storage, owner)

    completed = (await service.complete(owner, top.id)).value

    assert completed.content.completed
    assert completed.version == 2
    for task in (middle, bottom):
        now = await service.get(owner, task.id)
        assert (now.content.completed, now.completed_at, now.version) == (True, T0, 2)
    assert sorted(await feed_ids(storage, owner, before)) == sorted([top.id, middle.id, bottom.id])


async def test_reopening_a_subtask_reopens_its_completed_ancestors(storage: Storage) -> None:
    owner, service = user(), tasks_on(storage)
    top, middle, bottom = await family(service, owner, "top", "middle", "bottom")
    await service.complete(owner, top.id)

    await service.reopen(owner, bottom.id)

    assert [(await service.get(owner, t.id)).content.completed for t in (top, middle, bottom)] == [False] * 3


async def test_an_open_task_created_under_a_completed_one_reopens_it(storage: Storage) -> None:
    owner, service = user(), tasks_on(storage)
    (top,) = await family(service, owner, "top")
    await service.complete(owner, top.id)
    await service.create(owner, TaskPatch.of(title="one more step", parent_id=top.id))
    reopened = await service.get(owner, top.id)
    assert (reopened.content.completed, reopened.version) == (False, 3)


async def test_a_task_moved_to_another_list_takes_its_subtree(storage: Storage) -> None:
    owner, service = user(), tasks_on(storage)
    groceries = (await lists_on(storage).create(owner, "Groceries")).value
    top, middle, bottom = await family(service, owner, "top", "middle", "bottom")

    moved = (await service.patch(owner, top.id, TaskPatch.of(list_id=groceries.id))).value

    assert (moved.content.list_id, moved.content.parent_id, moved.version) == (groceries.id, None, 2)
    for task in (middle, bottom):
        now = await service.get(owner, task.id)
        assert (now.content.list_id, now.content.parent_id, now.position, now.version) == (
            groceries.id,
            task.content.parent_id,
            task.position,
            2,
        )


async def test_changing_only_the_list_of_a_subtask_makes_it_top_level_there_with_its_subtree(
    storage: Storage,
) -> None:
    owner, service = user(), tasks_on(storage)
    groceries = (await lists_on(storage).create(owner, "Groceries")).value
    top, middle, bottom = await family(service, owner, "top", "middle", "bottom")

    moved = (await service.patch(owner, middle.id, TaskPatch.of(list_id=groceries.id))).value

    assert (moved.content.list_id, moved.content.parent_id) == (groceries.id, None)
    assert (await service.get(owner, bottom.id)).content.list_id == groceries.id
    assert (await service.get(owner, top.id)).version == top.version


async def test_deleting_a_task_deletes_its_subtree_each_a_tombstone(storage: Storage) -> None:
    owner, service = user(), tasks_on(storage)
    top, middle, bottom = await family(service, owner, "top", "middle", "bottom")
    (other,) = await family(service, owner, "other")
    before = await last_sequence(storage, owner)

    await service.delete(owner, top.id, VersionCondition.one_of(1))

    assert [t.id for t in (await service.list(owner)).items] == [other.id]
    changes = await storage.reader.changes(owner, after=before, limit=10)
    assert sorted(c.task_id for c in changes) == sorted([top.id, middle.id, bottom.id])
    assert all(c.task is None for c in changes)


async def test_a_deletion_checks_if_match_on_the_task_itself(storage: Storage) -> None:
    owner, service = user(), tasks_on(storage)
    top, _ = await family(service, owner, "top", "child")
    with pytest.raises(PreconditionFailed):
        await service.delete(owner, top.id, VersionCondition.one_of(7))
    with pytest.raises(TaskNotFound):
        await service.delete(user("mallory"), top.id)
    assert len((await service.list(owner)).items) == 2


async def test_a_move_takes_one_new_key_between_its_neighbours_and_keeps_the_others(storage: Storage) -> None:
    owner, service = user(), tasks_on(storage)
    first, second, third = [(await service.create(owner, TaskPatch.of(title=t))).value for t in "abc"]

    moved = (await service.move(owner, third.id, MoveTarget(after=first.id))).value

    assert first.position.encode() < moved.position.encode() < second.position.encode()
    assert moved.version == 2
    assert await service.get(owner, first.id) == first
    assert await service.get(owner, second.id) == second


async def test_a_move_that_rekeys_the_siblings_but_not_the_task_is_still_a_new_version_of_it(
    storage: Storage,
) -> None:
    # Two siblings share a key (two creates that raced): placing m between them rekeys the set,
    # and here m's own fresh key happens to be the one it had.
    owner, service = user(), tasks_on(storage)
    a, b, c, m = (make_task(owner, title) for title in ("a", "b", "c", "m"))
    b, c = sorted([b, c], key=lambda t: t.id)
    await storage.add(a.placed("a0"), b.placed("a1"), c.placed("a1"), m.placed("a2"))

    moved = (await service.move(owner, m.id, MoveTarget(after=b.id))).value

    assert moved.version == 2
    listed = (await service.list(owner, sort=Sort.parse("position"))).items
    assert [t.id for t in listed] == [a.id, b.id, m.id, c.id]


async def test_a_move_to_where_the_task_already_is_changes_nothing(storage: Storage) -> None:
    owner, service = user(), tasks_on(storage)
    first, second = [(await service.create(owner, TaskPatch.of(title=t))).value for t in "ab"]
    assert (await service.move(owner, second.id, MoveTarget(after=first.id))).value == second
    assert (await service.move(owner, first.id, FIRST)).value == first


async def test_a_move_under_another_parent_goes_where_it_is_told_among_the_new_siblings(
    storage: Storage,
) -> None:
    owner, service = user(), tasks_on(storage)
    parent, child = await family(service, owner, "parent", "child")
    (loose,) = await family(service, owner, "loose")

    moved = (await service.move(owner, loose.id, FIRST, TaskPatch.of(parent_id=parent.id))).value

    assert moved.content.parent_id == parent.id
    assert moved.position.encode() < child.position.encode()


async def test_a_move_next_to_a_task_that_is_not_a_sibling_there_is_refused(storage: Storage) -> None:
    owner, service = user(), tasks_on(storage)
    _parent, child = await family(service, owner, "parent", "child")
    (loose,) = await family(service, owner, "loose")
    with pytest.raises(InvalidTask) as error:
        await service.move(owner, loose.id, MoveTarget(before=child.id))
    assert [e.field for e in error.value.errors] == ["before"]
    assert await service.get(owner, loose.id) == loose


async def test_two_moves_that_would_together_make_a_cycle_cannot_both_win(storage: Storage) -> None:
    owner, service = user(), tasks_on(storage)
    (a,) = await family(service, owner, "a")
    (b,) = await family(service, owner, "b")

    results = await asyncio.gather(
        service.move(owner, a.id, FIRST, TaskPatch.of(parent_id=b.id)),
        service.move(owner, b.id, FIRST, TaskPatch.of(parent_id=a.id)),
        return_exceptions=True,
    )

    refused = [r for r in results if isinstance(r, InvalidTask)]
    assert len(refused) == 1, results
    assert [e.field for e in refused[0].errors] == ["parent_id"]
    parents = {t.id: t.content.parent_id for t in (await service.list(owner)).items}
    assert sorted(p is None for p in parents.values()) == [False, True]
