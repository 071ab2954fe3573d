"""The rules of the task tree (domain/tree.py), without I/O: which parents a task may take (no
cycle, no fifth level, the same list), what a change does to the rest of its tree (subtrees move
with their task; a completed task has no open descendant), as examples and as properties over
random forests."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskhub.domain.errors import InvalidTask
from taskhub.domain.model import ListId, Task, TaskId, TaskPatch
from taskhub.domain.tree import MAX_DEPTH, check_parent, consequences, height, placing
from tests.factories import T0, make_task, user

LATER = T0 + timedelta(hours=1)
GROCERIES = ListId(uuid.UUID(int=1))
OWNER = user()


class Forest:
    """Tasks by id, as a store holds them, with the reads the use cases make."""

    def __init__(self, tasks: list[Task]) -> None:
        self.tasks = {task.id: task for task in tasks}

    def children(self, task_id: TaskId) -> list[Task]:
        return [t for t in self.tasks.values() if t.content.parent_id == task_id]

    def subtree(self, task_id: TaskId) -> list[Task]:
        level, family = [self.tasks[task_id]], []
        while level:
            family += level
            level = [child for parent in level for child in self.children(parent.id)]
        return family

    def lineage(self, task_id: TaskId | None) -> list[Task]:
        family = []
        while task_id is not None:
            family.append(self.tasks[task_id])
            task_id = self.tasks[task_id].content.parent_id
        return family

    def depth(self, task_id: TaskId) -> int:
        return len(self.lineage(task_id))

    def saved(self, *tasks: Task) -> Forest:
        return Forest([*self.tasks.values(), *tasks])  # later ones replace earlier ones by id

    def open_under_completed(self) -> list[Task]:
        return [
            task
            for task in self.tasks.values()
            if not task.content.completed
            and any(a.content.completed for a in self.lineage(task.content.parent_id))
        ]


def chain(length: int, *, list_id: ListId | None = None, completed: bool = False) -> list[Task]:
    """A task with one subtask, which has one, ... `length` levels."""
    tasks: list[Task] = []
    for level in range(length):
        parent = tasks[-1].id if tasks else None
        tasks.append(
            make_task(OWNER, f"level {level + 1}", list_id=list_id, parent_id=parent, completed=completed)
        )
    return tasks


def refusal(error: pytest.ExceptionInfo[InvalidTask]) -> list[str]:
    return [e.field for e in error.value.errors]


# --- which parent a task may take ---------------------------------------------------------------


def test_a_task_cannot_be_its_own_parent() -> None:
    task = make_task(OWNER)
    with pytest.raises(InvalidTask) as error:
        check_parent(replace(task.content, parent_id=task.id), [task], [task])
    assert refusal(error) == ["parent_id"]


def test_a_task_cannot_go_under_one_of_its_own_subtasks() -> None:
    top, middle, bottom = chain(3)
    forest = Forest([top, middle, bottom])
    with pytest.raises(InvalidTask) as error:
        check_parent(
            replace(top.content, parent_id=bottom.id), forest.subtree(top.id), forest.lineage(bottom.id)
        )
    assert refusal(error) == ["parent_id"]


def test_a_parent_that_is_none_of_the_owners_live_tasks_is_refused() -> None:
    task = make_task(OWNER)
    with pytest.raises(InvalidTask) as error:
        check_parent(replace(task.content, parent_id=TaskId(uuid.uuid4())), [task], [])
    assert refusal(error) == ["parent_id"]


def test_a_parent_in_another_list_is_refused() -> None:
    parent, task = make_task(OWNER, list_id=GROCERIES), make_task(OWNER)
    with pytest.raises(InvalidTask) as error:
        check_parent(replace(task.content, parent_id=parent.id), [task], [parent])
    assert refusal(error) == ["parent_id"]


def test_four_levels_are_allowed_and_a_fifth_is_refused() -> None:
    levels = chain(MAX_DEPTH)
    forest, fifth = Forest(levels), make_task(OWNER)
    check_parent(replace(fifth.content, parent_id=levels[-2].id), [fifth], forest.lineage(levels[-2].id))
    with pytest.raises(InvalidTask) as error:
        check_parent(replace(fifth.content, parent_id=levels[-1].id), [fifth], forest.lineage(levels[-1].id))
    assert refusal(error) == ["parent_id"]


def test_a_task_with_subtasks_counts_their_levels_when_it_moves() -> None:
    two_levels, host = chain(2), chain(3)
    forest = Forest(two_levels + host)
    moving = forest.subtree(two_levels[0].id)
    assert height(moving) == 2
    check_parent(replace(two_levels[0].content, parent_id=host[1].id), moving, forest.lineage(host[1].id))
    with pytest.raises(InvalidTask):
        check_parent(replace(two_levels[0].content, parent_id=host[2].id), moving, forest.lineage(host[2].id))


def test_changing_only_the_list_of_a_subtask_makes_it_top_level() -> None:
    parent, child = chain(2)
    assert placing(child.content, TaskPatch.of(list_id=GROCERIES)).changes() == {
        "list_id": GROCERIES,
        "parent_id": None,
    }
    # So does a patch that sends the parent the subtask has (a PUT of the task read back).
    resent = TaskPatch.of(list_id=GROCERIES, parent_id=parent.id)
    assert placing(child.content, resent).changes()["parent_id"] is None
    # A new parent with the new list, or no change of list, leaves the patch as it is.
    other_parent = TaskPatch.of(list_id=GROCERIES, parent_id=TaskId(uuid.uuid4()))
    assert placing(child.content, other_parent) == other_parent
    assert placing(child.content, TaskPatch.of(list_id=None)) == TaskPatch.of(list_id=None)


# --- what a change does to the rest of the tree -------------------------------------------------


def test_completing_a_task_completes_its_open_descendants_each_a_new_version() -> None:
    top, middle, bottom = chain(3)
    done_already = replace(bottom, content=replace(bottom.content, completed=True), completed_at=T0)
    forest = Forest([top, middle, done_already])
    completed = top.revised(TaskPatch.of(completed=True), LATER)

    changed = consequences(completed, forest.subtree(top.id), [], LATER)

    assert [(t.id, t.content.completed, t.completed_at, t.version) for t in changed] == [
        (middle.id, True, LATER, 2)
    ]


def test_reopening_a_task_reopens_its_completed_ancestors() -> None:
    top, middle, bottom = chain(3, completed=True)
    forest = Forest([top, middle, bottom])
    reopened = bottom.revised(TaskPatch.of(completed=False), LATER)

    changed = consequences(reopened, forest.subtree(bottom.id), forest.lineage(middle.id), LATER)

    assert [(t.id, t.content.completed, t.completed_at, t.updated_at) for t in changed] == [
        (middle.id, False, None, LATER),
        (top.id, False, None, LATER),
    ]


def test_a_task_moved_to_another_list_takes_its_subtree_which_keeps_its_order() -> None:
    top, middle, bottom = chain(3)
    forest = Forest([top, middle, bottom])
    moved = top.revised(TaskPatch.of(list_id=GROCERIES), LATER, position="b0")

    changed = consequences(moved, forest.subtree(top.id), [], LATER)

    assert [(t.id, t.content.list_id, t.content.parent_id, t.position) for t in changed] == [
        (middle.id, GROCERIES, top.id, middle.position),
        (bottom.id, GROCERIES, middle.id, bottom.position),
    ]


# --- properties over random forests -------------------------------------------------------------


@st.composite
def forests(draw: st.DrawFn) -> Forest:
    """Up to 12 tasks in the inbox, each under an earlier one or top-level, at most MAX_DEPTH deep,
    with no open task under a completed one."""
    tasks: list[Task] = []
    forest = Forest([])
    for index in range(draw(st.integers(1, 12))):
        allowed = [t for t in tasks if forest.depth(t.id) < MAX_DEPTH]
        parent = draw(st.none() | st.sampled_from(allowed)) if allowed else None
        under_completed = parent is not None and parent.content.completed
        completed = under_completed or draw(st.booleans())
        task = make_task(
            OWNER, f"t{index}", parent_id=None if parent is None else parent.id, completed=completed
        )
        tasks.append(task)
        forest = Forest(tasks)
    return forest


@given(forest=forests(), data=st.data())
def test_a_parent_is_accepted_exactly_when_it_makes_no_cycle_and_no_fifth_level(
    forest: Forest, data: st.DataObject
) -> None:
    ids = sorted(forest.tasks)
    task_id, parent_id = data.draw(st.sampled_from(ids)), data.draw(st.sampled_from(ids))
    subtree, lineage = forest.subtree(task_id), forest.lineage(parent_id)
    content = replace(forest.tasks[task_id].content, parent_id=parent_id)
    expected = parent_id not in {t.id for t in subtree} and len(lineage) + height(subtree) <= MAX_DEPTH
    if expected:
        check_parent(content, subtree, lineage)
    else:
        with pytest.raises(InvalidTask) as error:
            check_parent(content, subtree, lineage)
        assert [e.field for e in error.value.errors] == ["parent_id"]


@given(forest=forests(), data=st.data())
def test_no_completion_reopening_or_move_leaves_an_open_task_under_a_completed_one(
    forest: Forest, data: st.DataObject
) -> None:
    task = forest.tasks[data.draw(st.sampled_from(sorted(forest.tasks)))]
    subtree = forest.subtree(task.id)
    subtree_ids = {t.id for t in subtree}
    candidates = [
        t.id
        for t in forest.tasks.values()
        if t.id not in subtree_ids and forest.depth(t.id) + height(subtree) <= MAX_DEPTH
    ]
    change = data.draw(st.sampled_from(["complete", "reopen", "move"]))
    if change == "move":
        patch = TaskPatch.of(
            parent_id=data.draw(st.none() | st.sampled_from(candidates)) if candidates else None
        )
    else:
        patch = TaskPatch.of(completed=change == "complete")
    revised = task.revised(patch, LATER, position="z0" if change == "move" else None)
    lineage = forest.lineage(revised.content.parent_id)

    changed = consequences(revised, subtree, lineage, LATER)
    after = forest.saved(revised, *changed)

    assert after.open_under_completed() == []
    for other in changed:
        before = forest.tasks[other.id]
        assert (other.version, other.updated_at) == (before.version + 1, LATER)
    assert len({t.id for t in changed}) == len(changed)
    assert revised.id not in {t.id for t in changed}
