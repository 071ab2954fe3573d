"""The UnitOfWork contract, run against every adapter: one transaction, nothing kept without
`commit()`, nothing written outside `async with`.

Each rule is a check of its own, run by the tests below against PostgreSQL and the in-memory
adapter, and run again, at the end, against a fake that breaks it: a rule no misbehaving
adapter can fail is not being checked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from types import TracebackType

import pytest

from taskhub.adapters.memory import InMemoryStore, InMemoryTaskReader, InMemoryUnitOfWork, _State
from taskhub.domain.model import TaskPatch
from taskhub.ports.repositories import TaskQuery
from tests.conftest import Storage
from tests.factories import T0, make_task, task_id, user

Check = Callable[[Storage], Awaitable[None]]
LATER = T0 + timedelta(minutes=1)


async def check_a_write_is_not_visible_before_commit(storage: Storage) -> None:
    task = make_task(user())
    async with storage.uow() as uow:
        added = uow.tasks.add(task)
        await uow.flush()
        assert await storage.reader.get(task.owner_id, task.id) is None
        await uow.commit()
    assert await storage.reader.get(task.owner_id, task.id) == added.value


async def check_leaving_without_commit_keeps_nothing(storage: Storage) -> None:
    task = make_task(user())
    async with storage.uow() as uow:
        uow.tasks.add(task)
    async with storage.uow() as uow:
        uow.tasks.add(make_task(task.owner_id))
        await uow.flush()
    assert await storage.reader.find(task.owner_id, TaskQuery()) == []


async def check_a_failure_before_commit_keeps_nothing(storage: Storage) -> None:
    task = make_task(user())
    (task,) = await storage.add(task)
    with pytest.raises(RuntimeError):  # noqa: PT012 - the failure must happen inside the unit of work
        async with storage.uow() as uow:
            uow.tasks.revise(task.owner_id, task.id, TaskPatch.of(title="changed"), now=LATER)
            await uow.flush()
            raise RuntimeError("the use case failed before commit")
    assert await storage.reader.get(task.owner_id, task.id) == task


async def check_commit_keeps_every_write_of_the_unit(storage: Storage) -> None:
    owner = user()
    first, second = make_task(owner, "first"), make_task(owner, "second")
    (first,) = await storage.add(first)
    async with storage.uow() as uow:
        added = uow.tasks.add(second)
        uow.tasks.revise(owner, first.id, TaskPatch.of(title="first, renamed"), now=LATER)
        await uow.commit()
    second = added.value
    renamed = await storage.reader.get(owner, first.id)
    assert renamed is not None
    assert renamed.content.title == "first, renamed"
    assert await storage.reader.get(owner, second.id) == second


async def check_nothing_is_written_outside_the_unit(storage: Storage) -> None:
    uow = storage.uow()
    with pytest.raises(RuntimeError):
        uow.tasks.add(make_task(user()))
    async with uow:
        await uow.commit()
    with pytest.raises(RuntimeError):
        uow.tasks.add(make_task(user()))


async def check_a_commands_answer_is_known_once_sent(storage: Storage) -> None:
    task = make_task(user())
    (task,) = await storage.add(task)
    async with storage.uow() as uow:
        revised = uow.tasks.revise(task.owner_id, task.id, TaskPatch.of(title="new"), now=LATER)
        missing = uow.tasks.delete(task.owner_id, task_id(), at=LATER)
        with pytest.raises(RuntimeError):
            _ = revised.value
        await uow.commit()
    assert revised.value is not None
    assert revised.value.content.title == "new"
    assert missing.value is False


async def check_a_read_in_the_unit_sees_its_own_writes(storage: Storage) -> None:
    task = make_task(user())
    async with storage.uow() as uow:
        added = uow.tasks.add(task)
        assert await uow.tasks.get(task.owner_id, task.id) == added.value
        assert await storage.reader.get(task.owner_id, task.id) is None
        await uow.commit()


CHECKS: list[Check] = [
    check_a_write_is_not_visible_before_commit,
    check_leaving_without_commit_keeps_nothing,
    check_a_failure_before_commit_keeps_nothing,
    check_commit_keeps_every_write_of_the_unit,
    check_nothing_is_written_outside_the_unit,
    check_a_commands_answer_is_known_once_sent,
    check_a_read_in_the_unit_sees_its_own_writes,
]


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__.removeprefix("check_") for c in CHECKS])
async def test_the_unit_of_work_contract(storage: Storage, check: Check) -> None:
    await check(storage)


# --- the checks catch a misbehaving fake ---------------------------------------------------------


class CommitsEveryWrite(InMemoryUnitOfWork):
    """Writes reach the store as they are sent, commit() or not: what an autocommit adapter does."""

    def flushed_state(self) -> _State:
        state = super().flushed_state()
        self._store.state = state.copy()
        return state

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._state is not None:
            self.flushed_state()
        await super().__aexit__(exc_type, exc, tb)


class WritesWithoutAUnit(InMemoryUnitOfWork):
    """Takes writes outside `async with`, and after commit, straight into the store."""

    def wait(self, command: Callable[[_State], None]) -> None:
        if self._state is None:
            command(self._store.state)
            return
        super().wait(command)


def misbehaving(kind: type[InMemoryUnitOfWork]) -> Storage:
    store = InMemoryStore()
    return Storage(kind.__name__, lambda: kind(store), InMemoryTaskReader(store))


@pytest.mark.parametrize(
    ("fake", "check"),
    [
        (CommitsEveryWrite, check_a_write_is_not_visible_before_commit),
        (CommitsEveryWrite, check_leaving_without_commit_keeps_nothing),
        (CommitsEveryWrite, check_a_failure_before_commit_keeps_nothing),
        (CommitsEveryWrite, check_a_read_in_the_unit_sees_its_own_writes),
        (WritesWithoutAUnit, check_nothing_is_written_outside_the_unit),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
async def test_a_fake_that_breaks_the_contract_fails_it(fake: type[InMemoryUnitOfWork], check: Check) -> None:
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        await check(misbehaving(fake))
