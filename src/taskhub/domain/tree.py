"""Subtasks: the rules of the task tree, decided on tasks already read (the use case reads them
under the owner's lock, so they stay true until it commits).

A task's `parent_id` names another task of the same owner, in the same list (or both in the
inbox); a tree is at most `MAX_DEPTH` levels deep counting its top task, and has no cycle. What a
change to one task does to the others of its tree (`consequences`):

- a task that goes to another list takes its whole subtree with it, each subtask keeping its
  parent and its key (its siblings go with it, so their order holds);
- a completed task has no open descendant: completing a task completes its open descendants, and
  a task that is open (created, reopened, or moved) under a completed one reopens the completed
  ancestors;
- a repeating task that a completion moved to its next occurrence reopens its completed
  descendants: the steps of the next occurrence are still to do.

Every task so changed is a new version, at the same time as the change that caused it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from taskhub.domain.errors import FieldError, InvalidTask
from taskhub.domain.model import Task, TaskContent, TaskId, TaskPatch

MAX_DEPTH: Final = 4

NOT_YOUR_TASK: Final = "must be the id of another of your tasks, or null for a top-level task"
NOT_ITSELF: Final = "must not be the task itself"
NOT_A_DESCENDANT: Final = "must not be one of the task's own subtasks (that would make a cycle)"
NOT_IN_THE_SAME_LIST: Final = "must be a task in the same list (or, for a task in the inbox, in the inbox)"
TOO_DEEP: Final = f"would nest subtasks more than {MAX_DEPTH} levels deep"


def placing(content: TaskContent, patch: TaskPatch) -> TaskPatch:
    """`patch` with the place rule: a patch that changes only the list of a subtask (its parent
    left out, or sent as it is, as a PUT of the task read back does) makes it a top-level task of
    that list, with its own subtree."""
    changes = patch.changes()
    moves_list = "list_id" in changes and changes["list_id"] != content.list_id
    keeps_parent = changes.get("parent_id", content.parent_id) == content.parent_id
    if moves_list and keeps_parent and content.parent_id is not None:
        return TaskPatch.of(**(changes | {"parent_id": None}))
    return patch


def _refused(message: str) -> InvalidTask:
    return InvalidTask([FieldError("parent_id", message)])


def height(subtree: Sequence[Task]) -> int:
    """How many levels `subtree` spans (a task without subtasks: 1). `subtree` is a task and its
    descendants, parents before children."""
    if not subtree:
        return 0
    levels: dict[TaskId, int] = {subtree[0].id: 1}
    for task in subtree[1:]:
        parent = task.content.parent_id
        if parent is not None and parent in levels:
            levels[task.id] = levels[parent] + 1
    return max(levels.values())


def check_parent(content: TaskContent, subtree: Sequence[Task], lineage: Sequence[Task]) -> None:
    """That `content`'s parent may be the parent of the task whose subtree (the task first, then
    its descendants) is `subtree`: `lineage` is the parent and its ancestors, nearest first, as
    stored (empty: the parent is none of the owner's live tasks). For a new task, `subtree` holds
    only the new task. InvalidTask on `parent_id` otherwise."""
    parent_id = content.parent_id
    if parent_id is None:
        return
    if subtree and parent_id == subtree[0].id:
        raise _refused(NOT_ITSELF)
    if any(task.id == parent_id for task in subtree):
        raise _refused(NOT_A_DESCENDANT)
    if not lineage or lineage[0].id != parent_id:
        raise _refused(NOT_YOUR_TASK)
    if lineage[0].content.list_id != content.list_id:
        raise _refused(NOT_IN_THE_SAME_LIST)
    if len(lineage) + max(height(subtree), 1) > MAX_DEPTH:
        raise _refused(TOO_DEEP)


_REOPEN: Final = TaskPatch.of(completed=False)


def consequences(after: Task, subtree: Sequence[Task], lineage: Sequence[Task], now: datetime) -> list[Task]:
    """The other tasks that change with `after` (the task as it is now revised or created): its
    descendants (`subtree[1:]`, as stored) carried to its list and completed with it, then its
    completed ancestors (`lineage`: its parent and the parent's ancestors, nearest first) reopened
    when it is open. Each revised at `now`; an unchanged task is left out."""
    content = after.content
    advanced = bool(subtree) and subtree[0].id == after.id and after.advanced_from(subtree[0])
    changed: list[Task] = []
    for descendant in subtree[1:]:
        values: dict[str, object] = {}
        if descendant.content.list_id != content.list_id:
            values["list_id"] = content.list_id
        if content.completed and not descendant.content.completed:
            values["completed"] = True
        if advanced and descendant.content.completed:
            values["completed"] = False
        # Completed with its ancestor: completed, even if it repeats (no open descendant).
        revised = descendant.revised(TaskPatch.of(**values), now, position=descendant.position, cascaded=True)
        if revised is not descendant:
            changed.append(revised)
    if not content.completed:
        changed += (ancestor.revised(_REOPEN, now) for ancestor in lineage if ancestor.content.completed)
    return changed


__all__ = ["MAX_DEPTH", "check_parent", "consequences", "height", "placing"]
