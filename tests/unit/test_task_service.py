"""The use cases over the in-memory adapter: transactions, clock, paging, contention, safe retries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from taskhub.adapters.memory import InMemoryStore, InMemoryTaskReader, InMemoryUnitOfWork
from taskhub.adapters.system import TimeOrderedIdGenerator
from taskhub.application.operation_log import user_hash
from taskhub.application.tasks import TaskService
from taskhub.domain.errors import (
    EditConflict,
    IdempotencyKeyReused,
    InvalidParameter,
    InvalidTask,
    PreconditionFailed,
    TaskNotFound,
)
from taskhub.domain.model import Task, TaskPatch, UserId
from taskhub.domain.preconditions import VersionCondition
from taskhub.ports.deferred import Deferred
from tests.factories import T0, FixedClock, task_id, user

TITLE_T = TaskPatch.of(title="t")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


def service_on(
    store: InMemoryStore, clock: FixedClock, unit: type[InMemoryUnitOfWork] = InMemoryUnitOfWork
) -> TaskService:
    return TaskService(lambda: unit(store), InMemoryTaskReader(store), clock, TimeOrderedIdGenerator())


@pytest.fixture
def service(store: InMemoryStore, clock: FixedClock) -> TaskService:
    return service_on(store, clock)


async def created(service: TaskService, owner: UserId, fields: TaskPatch = TITLE_T) -> Task:
    return (await service.create(owner, fields)).value


async def test_timestamps_come_from_the_clock(service: TaskService, clock: FixedClock) -> None:
    owner = user()
    task = await created(service, owner)
    clock.advance(60)
    patched = (await service.patch(owner, task.id, TaskPatch.of(title="u"))).value
    assert (patched.created_at, patched.updated_at) == (T0, T0 + timedelta(seconds=60))


async def test_a_no_op_write_keeps_version_and_updated_at(service: TaskService, clock: FixedClock) -> None:
    owner = user()
    task = await created(service, owner)
    clock.advance(60)
    assert (await service.patch(owner, task.id, TITLE_T)).value == task
    assert (await service.reopen(owner, task.id)).value == task


async def test_completing_and_reopening_go_through_the_same_revision(
    service: TaskService, clock: FixedClock
) -> None:
    owner = user()
    task = await created(service, owner)
    clock.advance(5)
    done = (await service.complete(owner, task.id)).value
    assert (done.content.completed, done.completed_at, done.version) == (True, T0 + timedelta(seconds=5), 2)
    assert (await service.complete(owner, task.id)).value == done
    reopened = (await service.reopen(owner, task.id)).value
    assert (reopened.completed_at, reopened.version) == (None, 3)


async def test_a_foreign_task_is_not_found_for_every_use_case(service: TaskService) -> None:
    task = await created(service, user("alice"))
    mallory = user("mallory")
    for attempt in (
        service.get(mallory, task.id),
        service.patch(mallory, task.id, TaskPatch.of(title="x")),
        service.replace(mallory, task.id, TaskPatch.of(title="x")),
        service.complete(mallory, task.id),
        service.reopen(mallory, task.id),
        service.delete(mallory, task.id),
    ):
        with pytest.raises(TaskNotFound):
            await attempt


async def test_a_write_if_match_refuses_changes_nothing_and_says_the_version(service: TaskService) -> None:
    owner = user()
    task = await created(service, owner)
    stale = VersionCondition.one_of(5)
    for attempt in (
        service.patch(owner, task.id, TaskPatch.of(title="x"), stale),
        service.complete(owner, task.id, stale),
        service.delete(owner, task.id, stale),
    ):
        with pytest.raises(PreconditionFailed) as refused:
            await attempt
        assert refused.value.current_version == 1
    assert await service.get(owner, task.id) == task


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
    made = []
    for i in range(7):
        made.append(await created(service, owner, TaskPatch.of(title=f"t{i}")))
        clock.advance(1)
    seen, cursor = [], None
    while True:
        page = await service.list(owner, limit=3, cursor=cursor)
        seen += page.items
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(reversed(made))


class _AlwaysMoved(InMemoryUnitOfWork):
    """A store where the task always moves between a revision and the read after it: the
    revision finds nothing to do, and the read finds a task it would have changed."""

    async def __aenter__(self) -> _AlwaysMoved:
        await super().__aenter__()

        def miss(*args: object, **kwargs: object) -> Deferred[Task | None]:
            answer: Deferred[Task | None] = Deferred()
            answer.resolve(None)
            return answer

        self.tasks.revise = miss  # type: ignore[method-assign]
        return self


async def test_endless_contention_gives_up_with_a_conflict_and_writes_nothing(
    store: InMemoryStore, clock: FixedClock
) -> None:
    owner = user()
    seeding = service_on(store, clock)
    task = await created(seeding, owner)
    contended = service_on(store, clock, _AlwaysMoved)
    with pytest.raises(EditConflict):
        await contended.patch(owner, task.id, TaskPatch.of(title="never stored"))
    assert await seeding.get(owner, task.id) == task


async def test_each_operation_is_logged_once_without_personal_text(
    service: TaskService, caplog: pytest.LogCaptureFixture
) -> None:
    owner = user()
    caplog.set_level("DEBUG", logger="taskhub.tasks")
    task = await created(service, owner, TaskPatch.of(title="secret title", description="secret body"))
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
    task = await created(service, owner)
    await service.get(owner, task.id)
    await service.list(owner)
    await service.delete(owner, task.id)

    events = [(r.operation, r.levelname) for r in caplog.records if r.name == "taskhub.tasks"]  # type: ignore[attr-defined]
    assert events == [("create", "INFO"), ("delete", "INFO")]


# --- Idempotency-Key: one wrapper around any write --------------------------------------------


async def test_an_idempotent_create_replays_its_task_within_the_ttl(
    service: TaskService, clock: FixedClock
) -> None:
    owner = user()
    first = await service.create(owner, TITLE_T, "k")
    clock.advance(23 * 3600)
    again = await service.create(owner, TITLE_T, "k")
    assert (first.replayed, again.replayed, again.value) == (False, True, first.value)
    assert len((await service.list(owner)).items) == 1


async def test_an_expired_idempotency_key_starts_afresh(service: TaskService, clock: FixedClock) -> None:
    owner = user()
    first = await service.create(owner, TITLE_T, "k")
    clock.advance(24 * 3600 + 1)
    later = await service.create(owner, TaskPatch.of(title="other"), "k")
    assert later.replayed is False
    assert later.value.id != first.value.id
    assert len((await service.list(owner)).items) == 2


async def test_a_key_used_for_another_request_is_refused(service: TaskService) -> None:
    owner = user()
    task = (await service.create(owner, TITLE_T, "k")).value
    for other in (
        service.create(owner, TaskPatch.of(title="u"), "k"),
        service.complete(owner, task.id, key="k"),
    ):
        with pytest.raises(IdempotencyKeyReused):
            await other


async def test_a_domain_refusal_is_stored_and_replayed_marked_as_such(service: TaskService) -> None:
    owner = user()
    with pytest.raises(InvalidTask) as first:
        await service.create(owner, TaskPatch.of(title=" "), "k")
    with pytest.raises(InvalidTask) as again:
        await service.create(owner, TaskPatch.of(title=" "), "k")
    assert (first.value.replayed, again.value.replayed) == (False, True)
    assert again.value.errors == first.value.errors
    assert (await service.list(owner)).items == []


async def test_a_retried_completion_replays_the_first_answer_even_after_a_reopening(
    service: TaskService,
) -> None:
    owner = user()
    task = await created(service, owner)
    done = await service.complete(owner, task.id, key="done-1")
    await service.reopen(owner, task.id)
    retried = await service.complete(owner, task.id, key="done-1")
    assert (retried.replayed, retried.value) == (True, done.value)
    assert (await service.get(owner, task.id)).content.completed is False


async def test_a_missing_task_is_a_stored_answer_too(service: TaskService) -> None:
    owner = user()
    missing = task_id()
    answers = []
    for _ in range(2):
        with pytest.raises(TaskNotFound) as refused:
            await service.complete(owner, missing, key="gone")
        answers.append(refused.value.replayed)
    assert answers == [False, True]
