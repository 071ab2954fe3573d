"""The ExportReader contract, run against every adapter: an export holds the owner's live lists
and tasks and nothing else, in a stable order, as they were when it opened; and, on PostgreSQL,
an export left halfway gives its connection back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from taskhub.adapters.memory import InMemoryStore, InMemoryTaskReader, InMemoryUnitOfWork
from taskhub.adapters.memory_export import InMemoryExportReader
from taskhub.adapters.postgres.engine import PoolSettings
from taskhub.adapters.postgres.export import PostgresExportReader
from taskhub.adapters.postgres.read_pool import ReadPool
from taskhub.domain.lists import TaskList
from taskhub.domain.model import Task, TaskPatch, UserId
from taskhub.ports.export import ExportReader, ZoneSpan
from tests.conftest import Storage
from tests.factories import T0, make_list, make_task, user

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Exporting:
    """An adapter's storage, to write with, and its export reader, reading the same data."""

    storage: Storage
    reader: ExportReader


@pytest.fixture
def postgres_exporting(postgres_storage: Storage, read_pool: ReadPool) -> Exporting:
    # Batches of two: every export below takes several FETCHes.
    return Exporting(postgres_storage, PostgresExportReader(read_pool, batch_size=2))


@pytest.fixture
def memory_exporting() -> Exporting:
    store = InMemoryStore()
    storage = Storage("memory", lambda: InMemoryUnitOfWork(store), InMemoryTaskReader(store))
    return Exporting(storage, InMemoryExportReader(store))


@pytest.fixture(
    params=[
        pytest.param("postgres_exporting", id="postgres", marks=pytest.mark.postgres),
        pytest.param("memory_exporting", id="memory"),
    ]
)
def exporting(request: pytest.FixtureRequest) -> Exporting:
    chosen: Exporting = request.getfixturevalue(request.param)
    return chosen


@dataclass(frozen=True)
class Exported:
    lists: list[TaskList]
    tasks: list[Task]
    zones: list[ZoneSpan]


async def export(reader: ExportReader, owner: UserId) -> Exported:
    async with reader.snapshot(owner) as snapshot:
        return Exported(
            await snapshot.lists(), [task async for task in snapshot.tasks()], await snapshot.zones()
        )


async def test_an_export_holds_the_owners_live_lists_and_tasks_and_nothing_else(exporting: Exporting) -> None:
    storage, owner, other = exporting.storage, user(), user("mallory")
    kept_list, doomed_list, theirs = make_list(owner, "kept"), make_list(owner, "doomed"), make_list(other)
    await storage.add_lists(kept_list, doomed_list, theirs)
    in_list, in_inbox, deleted, *_ = await storage.add(
        make_task(owner, "in a list", at=T0, list_id=kept_list.id),
        make_task(owner, "in the inbox", at=T0 + DAY),
        make_task(owner, "deleted", at=T0 + 2 * DAY),
        make_task(owner, "in a deleted list", at=T0 + 3 * DAY, list_id=doomed_list.id),
        make_task(other, "not mine", at=T0, list_id=theirs.id),
    )
    async with storage.uow() as uow:
        await uow.hold(owner)
        uow.tasks.delete(owner, deleted.id, at=T0 + 4 * DAY)
        uow.lists.delete(owner, doomed_list.id, at=T0 + 4 * DAY)
        await uow.commit()

    exported = await export(exporting.reader, owner)

    assert exported.lists == [kept_list]
    assert exported.tasks == [in_list, in_inbox]


async def test_tasks_come_by_creation_time_ties_broken_by_id(exporting: Exporting) -> None:
    owner = user()
    made = [make_task(owner, f"task {n}", at=T0 + (n % 3) * DAY) for n in range(7)]
    stored = await exporting.storage.add(*reversed(made))

    exported = await export(exporting.reader, owner)

    assert exported.tasks == sorted(stored, key=lambda task: (task.created_at, task.id))


async def test_lists_come_in_their_order(exporting: Exporting) -> None:
    owner = user()
    first, second, third = make_list(owner, "first"), make_list(owner, "second"), make_list(owner, "third")
    await exporting.storage.add_lists(third, first, second)

    assert (await export(exporting.reader, owner)).lists == [first, second, third]


async def test_an_export_reads_everything_as_it_was_when_it_opened(exporting: Exporting) -> None:
    storage, owner = exporting.storage, user()
    before = await storage.add(*(make_task(owner, f"task {n}", at=T0 + n * DAY, due_at=T0) for n in range(5)))
    async with exporting.reader.snapshot(owner) as snapshot:
        tasks = snapshot.tasks()
        first = await anext(tasks)
        # Committed while the export is being read: a new list and task, an edit, a deletion.
        await storage.add_lists(make_list(owner, "new"))
        await storage.add(make_task(owner, "new", at=T0 + 9 * DAY, due_at=T0, time_zone="Asia/Tokyo"))
        async with storage.uow() as uow:
            uow.tasks.revise(owner, before[1].id, TaskPatch.of(title="edited"), now=T0 + 9 * DAY)
            uow.tasks.delete(owner, before[2].id, at=T0 + 9 * DAY)
            await uow.commit()
        rest = [task async for task in tasks]
        lists, zones = await snapshot.lists(), await snapshot.zones()

    assert [first, *rest] == before
    assert (lists, zones) == ([], [])


async def test_zones_are_those_due_dates_are_shown_in_with_the_first_and_last_due_date(
    exporting: Exporting,
) -> None:
    owner = user()
    *_, deleted = await exporting.storage.add(
        make_task(owner, "Paris, later", due_at=T0 + 5 * DAY, time_zone="Europe/Paris"),
        make_task(owner, "Paris, sooner", due_at=T0 + DAY, time_zone="Europe/Paris"),
        make_task(owner, "Tokyo", due_at=T0 + 2 * DAY, time_zone="Asia/Tokyo"),
        make_task(owner, "a zone but no due date", time_zone="America/New_York"),
        make_task(owner, "a due date but no zone", due_at=T0),
        make_task(user("mallory"), "not mine", due_at=T0, time_zone="Australia/Sydney"),
        make_task(owner, "deleted", due_at=T0 + 30 * DAY, time_zone="Europe/Paris"),
    )
    async with exporting.storage.uow() as uow:
        uow.tasks.delete(owner, deleted.id, at=T0)
        await uow.commit()

    assert (await export(exporting.reader, owner)).zones == [
        ZoneSpan("Asia/Tokyo", T0 + 2 * DAY, T0 + 2 * DAY),
        ZoneSpan("Europe/Paris", T0 + DAY, T0 + 5 * DAY),
    ]


async def test_an_owner_with_nothing_exports_nothing(exporting: Exporting) -> None:
    await exporting.storage.add(make_task(user("someone else")))

    assert await export(exporting.reader, user()) == Exported([], [], [])


# --- PostgreSQL: what an export holds while it is read --------------------------------------------


@pytest.fixture
async def one_connection(database_url: str) -> AsyncIterator[ReadPool]:
    """A read pool of one connection: an export that kept it would make the next one wait."""
    pool = ReadPool(database_url, PoolSettings(read_size=1, acquire_timeout_seconds=1))
    yield pool
    await pool.close()


async def drain_slowly(reader: ExportReader, owner: UserId, started: asyncio.Event) -> None:
    async with reader.snapshot(owner) as snapshot:
        async for _ in snapshot.tasks():
            started.set()
            await asyncio.sleep(0.05)


@pytest.mark.postgres
async def test_an_export_left_halfway_gives_its_connection_back(
    postgres_storage: Storage, one_connection: ReadPool
) -> None:
    owner = user()
    await postgres_storage.add(*(make_task(owner, f"task {n}") for n in range(6)))
    reader = PostgresExportReader(one_connection, batch_size=2)

    async with reader.snapshot(owner) as snapshot:
        await anext(snapshot.tasks())

    assert one_connection.status().in_use == 0
    assert len((await export(reader, owner)).tasks) == 6


@pytest.mark.postgres
async def test_a_cancelled_export_gives_its_connection_back(
    postgres_storage: Storage, one_connection: ReadPool
) -> None:
    owner = user()
    await postgres_storage.add(*(make_task(owner, f"task {n}") for n in range(6)))
    reader = PostgresExportReader(one_connection, batch_size=2)
    started = asyncio.Event()
    # What the HTTP layer's stream undergoes when its client goes away.
    reading = asyncio.create_task(drain_slowly(reader, owner, started))
    await started.wait()
    reading.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reading

    assert one_connection.status().in_use == 0
    assert len((await export(reader, owner)).tasks) == 6
