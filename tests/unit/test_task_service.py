"""The use cases over the in-memory adapter: transactions, clock, paging, contention."""

from __future__ import annotations

from datetime import timedelta

import pytest

from taskhub.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from taskhub.adapters.system import TimeOrderedIdGenerator
from taskhub.application.operation_log import user_hash
from taskhub.application.tasks import IdempotentRequest, TaskService
from taskhub.domain.errors import EditConflict, InvalidParameter, TaskNotFound
from taskhub.domain.model import Task, TaskContent, TaskPatch, UserId
from taskhub.ports.idempotency import StoredReply
from tests.factories import T0, FixedClock, user


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def service(clock: FixedClock) -> TaskService:
    store = InMemoryStore()
    return TaskService(lambda: InMemoryUnitOfWork(store), clock, TimeOrderedIdGenerator())


async def test_timestamps_come_from_the_clock(service: TaskService, clock: FixedClock) -> None:
    owner = user()
    task = await service.create(owner, TaskContent(title="t"))
    clock.advance(60)
    patched = await service.patch(owner, task.id, TaskPatch(title="u"))
    assert (patched.created_at, patched.updated_at) == (T0, T0 + timedelta(seconds=60))


async def test_a_no_op_write_keeps_version_and_updated_at(service: TaskService, clock: FixedClock) -> None:
    owner = user()
    task = await service.create(owner, TaskContent(title="t"))
    clock.advance(60)
    assert await service.patch(owner, task.id, TaskPatch(title="t")) == task


async def test_a_foreign_task_is_not_found_for_every_use_case(service: TaskService) -> None:
    task = await service.create(user("alice"), TaskContent(title="t"))
    mallory = user("mallory")
    for attempt in (
        service.get(mallory, task.id),
        service.patch(mallory, task.id, TaskPatch(title="x")),
        service.replace(mallory, task.id, TaskContent(title="x")),
        service.complete(mallory, task.id),
        service.reopen(mallory, task.id),
        service.delete(mallory, task.id),
    ):
        with pytest.raises(TaskNotFound):
            await attempt


@pytest.mark.parametrize("limit", [0, 101, -1])
async def test_page_size_is_bounded(service: TaskService, limit: int) -> None:
    with pytest.raises(InvalidParameter, match="limit"):
        await service.list(user(), limit=limit)


@pytest.mark.parametrize("cursor", ["", "!!!", "eyJ2IjoyfQ", "x" * 600])
async def test_a_cursor_we_did_not_issue_is_refused(service: TaskService, cursor: str) -> None:
    with pytest.raises(InvalidParameter, match="cursor"):
        await service.list(user(), cursor=cursor)


async def test_pages_cover_every_task_once(service: TaskService, clock: FixedClock) -> None:
    owner = user()
    created = []
    for i in range(7):
        created.append(await service.create(owner, TaskContent(title=f"t{i}")))
        clock.advance(1)
    seen, cursor = [], None
    while True:
        page = await service.list(owner, limit=3, cursor=cursor)
        seen += page.items
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(reversed(created))


class _AlwaysStale(InMemoryUnitOfWork):
    """A store where another writer always wins the race: an edit in place finds the task
    changed under its condition, and so does every write after a read."""

    async def __aenter__(self) -> _AlwaysStale:
        await super().__aenter__()

        async def lose(owner: UserId, task: Task, *, expected_version: int) -> bool:
            return False

        async def miss(*args: object, **kwargs: object) -> None:
            return None

        self.tasks.update = lose  # type: ignore[method-assign]
        self.tasks.apply_patch = miss  # type: ignore[method-assign]
        return self


async def test_endless_contention_gives_up_with_a_conflict_and_writes_nothing(clock: FixedClock) -> None:
    store = InMemoryStore()
    owner = user()
    seeding = TaskService(lambda: InMemoryUnitOfWork(store), clock, TimeOrderedIdGenerator())
    task = await seeding.create(owner, TaskContent(title="t"))
    contended = TaskService(lambda: _AlwaysStale(store), clock, TimeOrderedIdGenerator())
    with pytest.raises(EditConflict):
        await contended.patch(owner, task.id, TaskPatch(title="never stored"))
    assert await seeding.get(owner, task.id) == task


async def test_each_operation_is_logged_once_without_personal_text(
    service: TaskService, caplog: pytest.LogCaptureFixture
) -> None:
    owner = user()
    caplog.set_level("DEBUG", logger="taskhub.tasks")
    task = await service.create(owner, TaskContent(title="secret title", description="secret body"))
    with pytest.raises(TaskNotFound):
        await service.get(user("stranger"), task.id)

    events = [r for r in caplog.records if r.name == "taskhub.tasks"]
    assert [(e.operation, e.outcome, e.task_id) for e in events] == [  # type: ignore[attr-defined]
        ("create", "ok", str(task.id)),
        ("read", "TaskNotFound", str(task.id)),
    ]
    assert all(e.duration_ms >= 0 for e in events)  # type: ignore[attr-defined]
    assert owner not in caplog.text
    assert "secret" not in caplog.text
    assert events[0].user == user_hash(owner)  # type: ignore[attr-defined]


async def test_writes_are_logged_at_info_and_reads_at_debug(
    service: TaskService, caplog: pytest.LogCaptureFixture
) -> None:
    owner = user()
    caplog.set_level("INFO", logger="taskhub.tasks")
    task = await service.create(owner, TaskContent(title="t"))
    await service.get(owner, task.id)
    await service.list(owner)
    await service.delete(owner, task.id)

    events = [(r.operation, r.levelname) for r in caplog.records if r.name == "taskhub.tasks"]  # type: ignore[attr-defined]
    assert events == [("create", "INFO"), ("delete", "INFO")]


def creating(title: str, key: str = "k") -> IdempotentRequest:
    return IdempotentRequest(
        key=key, fingerprint=title, render=lambda task: StoredReply(201, str(task.id).encode())
    )


async def test_an_idempotent_create_replays_within_the_ttl(service: TaskService, clock: FixedClock) -> None:
    owner = user()
    first = await service.create_once(owner, TaskContent(title="t"), creating("t"))
    clock.advance(23 * 3600)
    again = await service.create_once(owner, TaskContent(title="t"), creating("t"))
    assert (first.replayed, again.replayed, again.reply) == (False, True, first.reply)
    assert len((await service.list(owner)).items) == 1


async def test_an_expired_idempotency_key_starts_afresh(service: TaskService, clock: FixedClock) -> None:
    owner = user()
    first = await service.create_once(owner, TaskContent(title="t"), creating("t"))
    clock.advance(24 * 3600 + 1)
    later = await service.create_once(owner, TaskContent(title="other"), creating("other"))
    assert later.replayed is False
    assert later.reply != first.reply
    assert len((await service.list(owner)).items) == 2
