"""`TaskRepository.revise`, run against every adapter: a revision applied by the store (in
PostgreSQL, one statement generated from the domain's revision rule) does exactly what the
domain's `Task.revised` does, or writes nothing and says so (None)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from taskhub.domain.model import (
    CONTENT_FIELD_NAMES,
    DECIDED_ON_READ,
    REVISION,
    ListId,
    Priority,
    Task,
    TaskContent,
    TaskPatch,
)
from taskhub.domain.preconditions import VersionCondition
from tests.conftest import Storage
from tests.factories import T0, make_list, make_task, task_id, user

LATER = T0 + timedelta(hours=1)
LIST_A, LIST_B = ListId(uuid.UUID(int=1)), ListId(uuid.UUID(int=2))

# Few values per field, so that a patch often sets what the task already holds (nothing changes).
VALUES = {
    "title": st.sampled_from(["Buy milk", "Call mum", "Écrire 📝"]),
    "description": st.sampled_from(["", "line one\nline two"]),
    "priority": st.sampled_from(Priority),
    "tags": st.sampled_from([(), ("home",), ("home", "urgent"), ("urgent", "home")]),
}
# Neither the completion nor what a repeating task's rule starts from is a revision's (a change to
# one is decided on the task as read, and saved): drawn in the content, never in a patch.
SCHEDULE = {
    "completed": st.booleans(),
    "due_at": st.none() | st.sampled_from([T0, T0 + timedelta(days=1)]),
    "time_zone": st.none() | st.sampled_from(["Europe/Paris", "Asia/Tokyo"]),
    "recurrence": st.none() | st.just("FREQ=DAILY"),
}
# The task's place is no revision's (a change of place is saved whole, after its tree is decided):
# a task is drawn in a list or the inbox, and revised where it is.
PLACE = {
    # Stand-ins for two lists made for each example's owner (`_in_lists`).
    "list_id": st.sampled_from([None, LIST_A, LIST_B]),
    "parent_id": st.none(),
}
contents = st.builds(TaskContent, **VALUES, **SCHEDULE, **PLACE).filter(
    lambda content: content.recurrence is None or content.due_at is not None
)
patches = (
    st.dictionaries(st.sampled_from(sorted(VALUES)), st.none(), max_size=len(VALUES))
    .flatmap(lambda names: st.fixed_dictionaries({name: VALUES[name] for name in names}))
    .map(lambda values: TaskPatch.of(**values).validated())
)
conditions = (
    st.none() | st.just(VersionCondition.any_version()) | st.sampled_from([1, 2]).map(VersionCondition.one_of)
)


def test_every_content_field_is_drawn() -> None:
    assert set(VALUES) | set(SCHEDULE) | set(PLACE) == set(CONTENT_FIELD_NAMES)
    assert set(PLACE) == set(REVISION.placement.scope)
    assert set(SCHEDULE) | set(PLACE) == DECIDED_ON_READ


@pytest.mark.parametrize(
    "place",
    [{name: None} for name in sorted(DECIDED_ON_READ - {"completed"})] + [{"completed": True}],
)
async def test_a_revision_refuses_to_change_the_tasks_place_completion_or_schedule(
    storage: Storage, place: dict[str, Any]
) -> None:
    task = await _stored(storage, TaskContent(title="Buy milk"))
    async with storage.uow() as uow:
        with pytest.raises(ValueError, match="place, completion or schedule"):
            uow.tasks.revise(task.owner_id, task.id, TaskPatch.of(**place), now=LATER)


async def _stored(storage: Storage, content: TaskContent) -> Task:
    task = Task.create(task_id(), user(), content, T0)
    (task,) = await storage.add(task)
    return task


async def _in_lists(storage: Storage, content: TaskContent, patch: TaskPatch) -> tuple[Task, TaskPatch]:
    """The task stored for a new owner who has two lists, the stand-ins replaced by them."""
    owner = user()
    lists = {stand_in: make_list(owner, str(stand_in.int)) for stand_in in (LIST_A, LIST_B)}
    await storage.add_lists(*lists.values())

    def real(values: dict[str, Any]) -> dict[str, Any]:
        if values.get("list_id") is not None:
            values["list_id"] = lists[values["list_id"]].id
        return values

    task = Task.create(task_id(), owner, replace(content, **real({"list_id": content.list_id})), T0)
    (task,) = await storage.add(task)
    return task, TaskPatch.of(**real(patch.changes()))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=contents, patch=patches, condition=conditions, in_a_transaction=st.booleans())
async def test_a_revision_in_place_is_the_domains_or_nothing_at_all(
    storage: Storage,
    content: TaskContent,
    patch: TaskPatch,
    condition: VersionCondition | None,
    in_a_transaction: bool,
) -> None:
    task, patch = await _in_lists(storage, content, patch)
    expected = task.revised(patch, LATER)
    applies = expected is not task and (condition is None or condition.allows(task.version))

    async with storage.uow() as uow:
        if in_a_transaction:
            # Alone, the statement is its own transaction; after a read, it runs in one.
            await uow.tasks.get(task.owner_id, task.id)
        revised = uow.tasks.revise(task.owner_id, task.id, patch, now=LATER, condition=condition)
        await uow.commit()

    assert revised.value == (expected if applies else None)
    assert await storage.reader.get(task.owner_id, task.id) == (expected if applies else task)
    # A change number for a write, none for nothing written: the feed holds the task once.
    feed = await storage.reader.changes(task.owner_id, after=0, limit=10)
    assert [c.task for c in feed] == [expected if applies else task]


@pytest.mark.parametrize("whose", ["another user's", "a deleted", "an unknown"])
async def test_a_revision_of_a_task_the_caller_does_not_have_writes_nothing(
    storage: Storage, whose: str
) -> None:
    owner = user()
    task = make_task(owner)
    async with storage.uow() as uow:
        uow.tasks.add(task)
        if whose == "a deleted":
            uow.tasks.delete(owner, task.id, at=T0)
        await uow.commit()
    target = {"another user's": (user("mallory"), task.id), "an unknown": (owner, task_id())}
    caller, target_id = target.get(whose, (owner, task.id))

    async with storage.uow() as uow:
        revised = uow.tasks.revise(caller, target_id, TaskPatch.of(title="mine now"), now=LATER)
        await uow.commit()
    assert revised.value is None
    feed = await storage.reader.changes(owner, after=0, limit=10)
    assert [c.task.content.title if c.task else None for c in feed] == [
        None if whose == "a deleted" else "Buy milk"
    ]
