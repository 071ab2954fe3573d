"""A top-level create places its task after every sibling committed before it took the owner's
lock, moves and rebalances included: its key is read once the lock is held, not from the INSERT's
own snapshot, which dates from before it waited (position_sql.py,
`taskhub_next_top_level_position`)."""

from __future__ import annotations

import asyncio

import pytest

from taskhub.adapters.system import SystemClock, TimeOrderedIdGenerator
from taskhub.application.tasks import TaskService
from taskhub.domain.model import TaskPatch
from taskhub.domain.ordering import Sibling, in_order
from tests.conftest import Storage
from tests.factories import T0, make_task, user

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize(
    ("moved_keys", "why"),
    [({"x": "a2"}, "a move to the end"), ({"x": "a3", "y": "a5"}, "every key of the set rewritten")],
    ids=["move-to-the-end", "keys-rewritten"],
)
async def test_a_create_that_waited_for_a_move_goes_after_what_the_move_committed(
    postgres_storage: Storage, moved_keys: dict[str, str], why: str
) -> None:
    owner = user()
    x, y = make_task(owner, "x").placed("a0"), make_task(owner, "y").placed("a1")
    await postgres_storage.add(x, y)
    service = TaskService(
        postgres_storage.uow, postgres_storage.reader, SystemClock(), TimeOrderedIdGenerator()
    )

    async with postgres_storage.uow() as move:
        await move.hold(owner)
        for name, key in moved_keys.items():
            task = {"x": x, "y": y}[name]
            move.tasks.save(task.revised(TaskPatch(), T0, position=key))
        await move.flush()
        create = asyncio.create_task(service.create(owner, TaskPatch.of(title="new")))
        done, _ = await asyncio.wait({create}, timeout=0.3)
        assert not done, "the create did not wait for the owner's lock"
        await move.commit()
    created = (await create).value

    siblings = (await service.list(owner, limit=10)).items
    ordered = in_order([Sibling(t.id, t.position) for t in siblings])
    assert ordered[-1].id == created.id, (why, [(t.content.title, t.position) for t in siblings])
    assert created.position not in set(moved_keys.values())
