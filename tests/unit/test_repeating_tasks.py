"""Repeating tasks in the domain (Task.create, Task.revised, tree.consequences): a rule needs a
due date and an occurrence, a completion moves the task to its next occurrence instead of
completing it (and reopens its subtasks), and a change to the rule, the due date or the zone
starts the rule again from the due date."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from taskhub.domain.errors import InvalidTask
from taskhub.domain.model import Task, TaskContent, TaskPatch
from taskhub.domain.recurrence import NO_OCCURRENCE
from taskhub.domain.tree import consequences
from tests.factories import make_task, task_id, user

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LATER = MONDAY_9 + timedelta(hours=1)
COMPLETE = TaskPatch.of(completed=True)


def repeating(rule: str = "FREQ=DAILY", due: datetime | None = MONDAY_9, **content: object) -> Task:
    return make_task(user(), due_at=due, recurrence=rule, at=MONDAY_9 - timedelta(days=1), **content)


def field_errors(error: pytest.ExceptionInfo[InvalidTask]) -> list[str]:
    return [e.field for e in error.value.errors]


def test_a_repeating_task_starts_its_rule_at_its_due_date() -> None:
    task = repeating()
    assert task.recurrence_start == MONDAY_9
    assert task.last_completed_at is None


def test_a_task_that_does_not_repeat_has_no_start() -> None:
    assert make_task(user(), due_at=MONDAY_9).recurrence_start is None


def test_a_rule_without_a_due_date_is_refused_on_recurrence() -> None:
    with pytest.raises(InvalidTask) as error:
        repeating(due=None)
    assert field_errors(error) == ["recurrence"]


def test_a_rule_with_no_occurrence_from_the_due_date_is_refused_on_recurrence() -> None:
    with pytest.raises(InvalidTask) as error:
        repeating("FREQ=DAILY;UNTIL=20260301T000000Z")
    assert [e.message for e in error.value.errors] == [NO_OCCURRENCE]


def test_the_rule_is_kept_in_canonical_form() -> None:
    assert repeating("freq=weekly;byday=we,mo").content.recurrence == "FREQ=WEEKLY;BYDAY=MO,WE"


def test_completing_moves_the_task_to_its_next_occurrence_and_keeps_it_open() -> None:
    task = repeating()
    done = task.revised(COMPLETE, LATER)
    assert done.content.due_at == MONDAY_9 + timedelta(days=1)
    assert (done.content.completed, done.completed_at) == (False, None)
    assert done.last_completed_at == LATER
    assert done.version == task.version + 1
    assert done.recurrence_start == task.recurrence_start
    assert done.advanced_from(task)


def test_each_completion_completes_the_current_occurrence() -> None:
    task = repeating()
    for day in range(1, 4):
        task = task.revised(COMPLETE, LATER + timedelta(days=day))
        assert task.content.due_at == MONDAY_9 + timedelta(days=day)


def test_the_last_occurrence_completes_the_task_like_any_other() -> None:
    task = repeating("FREQ=DAILY;COUNT=2")
    second = task.revised(COMPLETE, LATER)
    done = second.revised(COMPLETE, LATER + timedelta(days=1))
    assert second.content.due_at == MONDAY_9 + timedelta(days=1)
    assert (done.content.completed, done.completed_at) == (True, LATER + timedelta(days=1))
    assert done.content.due_at == second.content.due_at
    assert done.last_completed_at == second.last_completed_at
    assert not done.advanced_from(second)


def test_a_completed_repeating_task_reopened_is_due_where_it_was() -> None:
    done = repeating("FREQ=DAILY;COUNT=1").revised(COMPLETE, LATER)
    reopened = done.revised(TaskPatch.of(completed=False), LATER + timedelta(hours=1))
    assert (reopened.content.completed, reopened.content.due_at) == (False, MONDAY_9)


def test_changing_the_due_date_starts_the_rule_again_from_it() -> None:
    task = repeating("FREQ=DAILY;COUNT=2").revised(COMPLETE, LATER)
    moved = task.revised(TaskPatch.of(due_at=MONDAY_9 + timedelta(days=10)), LATER)
    assert moved.recurrence_start == MONDAY_9 + timedelta(days=10)
    # Two occurrences from the new start: the completion moves on instead of completing.
    assert moved.revised(COMPLETE, LATER).content.due_at == MONDAY_9 + timedelta(days=11)


@pytest.mark.parametrize(
    "change",
    [
        {"time_zone": "Europe/Paris"},
        {"recurrence": "FREQ=WEEKLY"},
        {"due_at": MONDAY_9 + timedelta(hours=2)},
    ],
)
def test_changing_the_rule_the_due_date_or_the_zone_starts_the_rule_again(change: dict[str, object]) -> None:
    task = repeating().revised(COMPLETE, LATER)
    changed = task.revised(TaskPatch.of(**change), LATER)
    assert changed.recurrence_start == changed.content.due_at != task.recurrence_start


def test_a_change_to_another_field_keeps_the_start() -> None:
    task = repeating().revised(COMPLETE, LATER)
    renamed = task.revised(TaskPatch.of(title="Water the plants"), LATER)
    assert renamed.recurrence_start == MONDAY_9


def test_a_rule_that_would_have_no_occurrence_from_a_new_due_date_is_refused_on_due_at() -> None:
    task = repeating("FREQ=DAILY;UNTIL=20260310T090000Z")
    with pytest.raises(InvalidTask) as error:
        task.revised(TaskPatch.of(due_at=MONDAY_9 + timedelta(days=30)), LATER)
    assert field_errors(error) == ["due_at"]


def test_clearing_the_due_date_of_a_repeating_task_is_refused_on_due_at() -> None:
    with pytest.raises(InvalidTask) as error:
        repeating().revised(TaskPatch.of(due_at=None), LATER)
    assert field_errors(error) == ["due_at"]


def test_clearing_the_rule_keeps_the_current_due_date_and_forgets_the_start() -> None:
    task = repeating().revised(COMPLETE, LATER)
    plain = task.revised(TaskPatch.of(recurrence=None), LATER)
    assert (plain.content.due_at, plain.recurrence_start) == (task.content.due_at, None)
    assert plain.revised(COMPLETE, LATER).content.completed


def test_a_rule_set_with_a_completion_starts_then_moves_on() -> None:
    task = make_task(user(), due_at=MONDAY_9)
    done = task.revised(TaskPatch.of(recurrence="FREQ=DAILY", completed=True), LATER)
    assert (done.content.completed, done.content.due_at) == (False, MONDAY_9 + timedelta(days=1))
    assert done.recurrence_start == MONDAY_9


def test_moving_on_reopens_the_completed_subtasks() -> None:
    task = repeating()
    open_step = make_task(task.owner_id, "open", parent_id=task.id)
    done_step = replace(
        make_task(task.owner_id, "done", parent_id=task.id),
        content=TaskContent(title="done", completed=True, parent_id=task.id),
    )
    moved = task.revised(COMPLETE, LATER)
    changed = consequences(moved, [task, open_step, done_step], [], LATER)
    assert [(t.content.title, t.content.completed, t.version) for t in changed] == [("done", False, 2)]


def test_the_last_occurrence_completes_the_subtasks_as_any_completion_does() -> None:
    task = repeating("FREQ=DAILY;COUNT=1")
    step = make_task(task.owner_id, "step", parent_id=task.id)
    done = task.revised(COMPLETE, LATER)
    changed = consequences(done, [task, step], [], LATER)
    assert [(t.content.title, t.content.completed) for t in changed] == [("step", True)]


def test_a_new_task_created_completed_is_not_moved_on() -> None:
    task = Task.create(
        task_id(),
        user(),
        TaskContent(title="t", due_at=MONDAY_9, recurrence="FREQ=DAILY", completed=True),
        LATER,
    )
    assert (task.content.completed, task.content.due_at) == (True, MONDAY_9)


def test_a_repeating_subtask_completed_with_its_parent_is_completed_not_moved_on() -> None:
    parent = make_task(user(), "Trip")
    step = make_task(parent.owner_id, "Pack", parent_id=parent.id, due_at=MONDAY_9, recurrence="FREQ=DAILY")
    done = parent.revised(COMPLETE, LATER)
    (changed,) = consequences(done, [parent, step], [], LATER)
    assert (changed.content.completed, changed.content.due_at, changed.last_completed_at) == (
        True,
        MONDAY_9,
        None,
    )
