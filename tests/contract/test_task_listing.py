"""The listing contract (filters, sorts, keyset pages), run against every adapter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from taskhub.domain.listing import PageKey, Sort, SortField, TaskFilter, sort_value
from taskhub.domain.model import Priority, Task, TaskPatch, UserId
from taskhub.ports.repositories import TaskQuery
from tests.conftest import Storage
from tests.factories import T0, make_task, user

DAY = timedelta(days=1)


async def find(storage: Storage, owner: UserId, **query: Any) -> list[Task]:
    return await storage.reader.find(owner, TaskQuery(**query))


def titles(tasks: list[Task]) -> list[str]:
    return [t.content.title for t in tasks]


@pytest.fixture
async def sample(storage: Storage) -> tuple[UserId, list[Task]]:
    owner = user()
    tasks = [
        make_task(owner, "Buy milk", at=T0, tags=("home", "shop"), priority=Priority.HIGH, due_at=T0 + DAY),
        make_task(
            owner,
            "Call mum",
            at=T0 + timedelta(1),
            priority=Priority.LOW,
            completed=True,
            description="about the holiday plans",
        ),
        make_task(
            owner,
            "Pay rent",
            at=T0 + timedelta(2),
            tags=("home",),
            priority=Priority.MEDIUM,
            due_at=T0 + 3 * DAY,
        ),
        make_task(
            owner,
            "Write report",
            at=T0 + timedelta(3),
            tags=("work",),
            due_at=T0 - DAY,
            description="quarterly numbers for the board",
        ),
        make_task(owner, "buy stamps", at=T0 + timedelta(4), priority=Priority.HIGH, tags=("shop",)),
    ]
    await storage.add(*tasks, make_task(user("other"), "Buy milk", tags=("home",)))
    return owner, tasks


# --- filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        (TaskFilter(completed=True), {"Call mum"}),
        (TaskFilter(completed=False), {"Buy milk", "Pay rent", "Write report", "buy stamps"}),
        (TaskFilter(priorities=frozenset({Priority.HIGH})), {"Buy milk", "buy stamps"}),
        (TaskFilter(priorities=frozenset({Priority.LOW, Priority.MEDIUM})), {"Call mum", "Pay rent"}),
        (TaskFilter(tags=frozenset({"home"})), {"Buy milk", "Pay rent"}),
        (TaskFilter(tags=frozenset({"home", "shop"})), {"Buy milk"}),
        (TaskFilter(tags=frozenset({"nope"})), set()),
        (TaskFilter(due_before=T0 + 2 * DAY), {"Buy milk", "Write report"}),
        (TaskFilter(due_after=T0 + DAY), {"Buy milk", "Pay rent"}),
        (TaskFilter(due_after=T0, due_before=T0 + 2 * DAY), {"Buy milk"}),
        (TaskFilter(text="milk"), {"Buy milk"}),
        (TaskFilter(text="BUY"), {"Buy milk", "buy stamps"}),
        (TaskFilter(text="holiday"), {"Call mum"}),
        (TaskFilter(text="buy -milk"), {"buy stamps"}),
        (TaskFilter(text="milk or stamps"), {"Buy milk", "buy stamps"}),
        (TaskFilter(text='"quarterly numbers"'), {"Write report"}),
        (TaskFilter(text='"numbers quarterly"'), set()),
        (TaskFilter(text="report board"), {"Write report"}),
        (TaskFilter(text="nothing-like-this"), set()),
        (
            TaskFilter(text="buy", tags=frozenset({"shop"}), priorities=frozenset({Priority.HIGH})),
            {"Buy milk", "buy stamps"},
        ),
        (TaskFilter(text="buy", completed=False, due_before=T0 + 2 * DAY), {"Buy milk"}),
    ],
)
async def test_each_filter_and_their_combinations(
    storage: Storage, sample: tuple[UserId, list[Task]], wanted: TaskFilter, expected: set[str]
) -> None:
    owner, _ = sample
    assert set(titles(await find(storage, owner, filter=wanted))) == expected


async def test_filters_never_reach_another_users_tasks(
    storage: Storage, sample: tuple[UserId, list[Task]]
) -> None:
    assert await find(storage, user("stranger"), filter=TaskFilter(text="milk")) == []


# --- sorts ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-created_at", ["buy stamps", "Write report", "Pay rent", "Call mum", "Buy milk"]),
        ("created_at", ["Buy milk", "Call mum", "Pay rent", "Write report", "buy stamps"]),
        ("title", ["Buy milk", "Call mum", "Pay rent", "Write report", "buy stamps"]),
        ("-title", ["buy stamps", "Write report", "Pay rent", "Call mum", "Buy milk"]),
    ],
)
async def test_each_sort_gives_a_total_order(
    storage: Storage, sample: tuple[UserId, list[Task]], sort: str, expected: list[str]
) -> None:
    owner, _ = sample
    assert titles(await find(storage, owner, sort=Sort.parse(sort))) == expected


@pytest.mark.parametrize(
    ("sort", "dated"),
    [
        ("due_at", ["Write report", "Buy milk", "Pay rent"]),
        ("-due_at", ["Pay rent", "Buy milk", "Write report"]),
    ],
)
async def test_due_date_sorts_put_tasks_without_one_last_both_ways(
    storage: Storage, sample: tuple[UserId, list[Task]], sort: str, dated: list[str]
) -> None:
    owner, tasks = sample
    found = await find(storage, owner, sort=Sort.parse(sort))
    undated = sorted(
        (t for t in tasks if t.content.due_at is None), key=lambda t: t.id, reverse=sort[0] == "-"
    )
    assert titles(found) == dated + titles(undated)


async def test_priority_sorts_none_low_medium_high_ties_by_id(
    storage: Storage, sample: tuple[UserId, list[Task]]
) -> None:
    owner, _ = sample
    ascending = await find(storage, owner, sort=Sort.parse("priority"))
    assert [t.content.priority.rank for t in ascending] == [0, 1, 2, 3, 3]
    highs = [t.id for t in ascending if t.content.priority is Priority.HIGH]
    assert highs == sorted(highs)
    descending = await find(storage, owner, sort=Sort.parse("-priority"))
    assert [t.id for t in descending] == [t.id for t in reversed(ascending)]


async def test_updated_at_sort_follows_the_latest_write(storage: Storage) -> None:
    owner = user()
    first, second = make_task(owner, "first", at=T0), make_task(owner, "second", at=T0 + DAY)
    first, second = await storage.add(first, second)
    async with storage.uow() as uow:
        uow.tasks.revise(owner, first.id, TaskPatch.of(title="first, edited"), now=T0 + 2 * DAY)
        await uow.commit()
    assert titles(await find(storage, owner, sort=Sort.parse("-updated_at"))) == [
        "first, edited",
        "second",
    ]


# --- keyset pages -----------------------------------------------------------------------------


@pytest.mark.parametrize("sort", [f"{sign}{field.value}" for field in SortField for sign in ("", "-")])
async def test_pages_of_any_sort_chain_into_the_whole_list(
    storage: Storage, sample: tuple[UserId, list[Task]], sort: str
) -> None:
    owner, _ = sample
    order = Sort.parse(sort)
    everything = await find(storage, owner, sort=order)
    walked: list[Task] = []
    after: PageKey | None = None
    while True:
        page = await find(storage, owner, sort=order, limit=2, after=after)
        walked += page
        if len(page) < 2:
            break
        after = PageKey(sort_value(page[-1], order.field), page[-1].id)
    assert walked == everything


async def test_many_equal_sort_values_page_by_id(storage: Storage) -> None:
    owner = user()
    same = datetime(2026, 6, 1, tzinfo=UTC)
    tasks = [make_task(owner, "same", at=same, due_at=same) for _ in range(7)]
    tasks = await storage.add(*tasks)
    for sort in ("created_at", "-created_at", "due_at", "-due_at", "title", "-title"):
        order = Sort.parse(sort)
        first = await find(storage, owner, sort=order, limit=3)
        last = first[-1]
        rest = await find(storage, owner, sort=order, after=PageKey(sort_value(last, order.field), last.id))
        assert len({t.id for t in first + rest}) == 7
