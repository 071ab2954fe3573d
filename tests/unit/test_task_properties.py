"""Property: any sequence of valid changes keeps the entity's invariants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from taskhub.domain.model import (
    TAG_MAX_LENGTH,
    TAGS_MAX_COUNT,
    TITLE_MAX_LENGTH,
    Priority,
    Task,
    TaskContent,
    TaskPatch,
)
from tests.factories import T0, make_task, user

printable = st.characters(blacklist_categories=("Cc", "Cs"))
titles = st.text(printable, min_size=1, max_size=TITLE_MAX_LENGTH).filter(lambda s: s.strip())
tags = st.text(printable, min_size=1, max_size=TAG_MAX_LENGTH).filter(lambda s: s.strip())
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))

patches = st.builds(
    TaskPatch.of,
    title=titles,
    completed=st.booleans(),
    priority=st.sampled_from(Priority),
    due_at=st.none() | moments,
    tags=st.lists(tags, max_size=TAGS_MAX_COUNT).map(tuple),
)
steps = st.lists(
    st.one_of(
        patches.map(lambda p: ("patch", p)),
        st.just(("complete", None)),
        st.just(("reopen", None)),
        titles.map(lambda t: ("replace", TaskContent(title=t))),
    ),
    max_size=15,
)


def apply(task: Task, step: tuple[str, object], now: datetime) -> Task:
    kind, argument = step
    if kind == "patch":
        assert isinstance(argument, TaskPatch)
        return task.revised(argument, now)
    if kind == "replace":
        assert isinstance(argument, TaskContent)
        return task.revised(TaskPatch.replacing(argument), now)
    return task.revised(TaskPatch.of(completed=kind == "complete"), now)


@settings(max_examples=200, deadline=None)
@given(steps=steps)
def test_random_valid_changes_keep_the_invariants(steps: list[tuple[str, object]]) -> None:
    task = make_task(user())
    now = T0
    for step in steps:
        now += timedelta(seconds=1)
        revised = apply(task, step, now)
        if revised is task:
            assert revised.version == task.version
        else:
            assert revised.content != task.content
            assert revised.version == task.version + 1
            assert revised.updated_at == now
        assert (revised.completed_at is not None) == revised.content.completed
        assert revised.content.title == revised.content.title.strip() != ""
        assert len(set(revised.content.tags)) == len(revised.content.tags) <= TAGS_MAX_COUNT
        assert (revised.created_at, revised.id, revised.owner_id) == (T0, task.id, task.owner_id)
        task = revised
