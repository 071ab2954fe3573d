"""Writes that reach beyond one task: a change of place (list, parent, position), a completion
or a reopening, a creation under a parent, a deletion. Each holds the owner (`UnitOfWork.hold`),
so every write of the owner's tasks and lists waits for it and what it reads stays true until it
commits (two moves that would each be fine alone but together make a cycle: the second one reads
the first one's result, and is refused). It reads the task's subtree and its new parent's lineage,
lets the domain decide (tree.py, ordering.py), and saves every task that changed, in one
transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from uuid import UUID

from taskhub.domain.errors import (
    FieldError,
    InvalidTask,
    PreconditionFailed,
    TaskNotFound,
)
from taskhub.domain.model import ListId, Task, TaskId, TaskPatch, UserId
from taskhub.domain.ordering import MoveTarget, NotASibling, placed
from taskhub.domain.positions import key_after
from taskhub.domain.preconditions import VersionCondition
from taskhub.domain.tree import check_parent, consequences, placing
from taskhub.ports.unit_of_work import UnitOfWork

NOT_YOUR_LIST: Final = "must be the id of one of your lists, or null for the inbox"
NOT_A_SIBLING: Final = "must be the id of another task at the new place (same list and parent)"


async def check_list(uow: UnitOfWork, owner: UserId, list_id: ListId | None) -> None:
    """For a task written into a list: the list must be one of the owner's live lists (the owner
    is held, so a deletion of the list waits). Unknown, deleted and another user's lists are
    refused alike: the answer reveals nothing."""
    if list_id is not None and await uow.lists.get(owner, list_id) is None:
        raise InvalidTask([FieldError("list_id", NOT_YOUR_LIST)])


async def create(uow: UnitOfWork, owner: UserId, task_id: TaskId, fields: TaskPatch, now: datetime) -> Task:
    """A new task with `fields`, stored last among its siblings: under a parent, in the parent's
    list unless `fields` names a list, and its completed ancestors reopened if it is open."""
    await uow.hold(owner)
    parent_id = fields.changes().get("parent_id")
    lineage = await uow.tasks.lineage(owner, parent_id) if parent_id is not None else []
    # A create's list_id is null when the body leaves it out: under a parent, that means "with
    # the parent" (the inbox is then the parent's own place only if the parent is in it).
    if lineage and fields.changes().get("list_id") is None:
        fields = TaskPatch.of(**(fields.changes() | {"list_id": lineage[0].content.list_id}))
    content = fields.new_content()
    await check_list(uow, owner, content.list_id)
    new = Task.create(task_id, owner, content, now)
    check_parent(content, [new], lineage)
    new = new.placed(key_after(await uow.tasks.last_position(owner, content.list_id, content.parent_id)))
    uow.tasks.add(new)
    for task in consequences(new, [new], lineage, now):
        uow.tasks.save(task)
    return new


async def current_subtree(
    uow: UnitOfWork, owner: UserId, task_id: TaskId, condition: VersionCondition | None
) -> list[Task]:
    """The task and its descendants (`TaskRepository.subtree`), the owner held: TaskNotFound,
    PreconditionFailed (If-Match), or the subtree."""
    await uow.hold(owner)
    subtree = await uow.tasks.subtree(owner, task_id)
    if not subtree or not subtree[0].is_owned_by(owner):
        raise TaskNotFound()
    if condition is not None and not condition.allows(subtree[0].version):
        raise PreconditionFailed(subtree[0].version)
    return subtree


async def revise(
    uow: UnitOfWork,
    owner: UserId,
    task_id: TaskId,
    patch: TaskPatch,
    condition: VersionCondition | None,
    *,
    now: datetime,
    target: MoveTarget | None = None,
) -> Task:
    """The task revised by a validated `patch` and, for a move, placed at `target` among its
    siblings at its new place; every task of its tree that changes with it saved too. The task as
    it is when nothing changes."""
    subtree = await current_subtree(uow, owner, task_id, condition)
    current = subtree[0]
    patch = placing(current.content, patch)
    content = patch.applied_to(current.content)
    if content.list_id != current.content.list_id:
        await check_list(uow, owner, content.list_id)
    lineage = await uow.tasks.lineage(owner, content.parent_id) if content.parent_id is not None else []
    new_place = (content.list_id, content.parent_id) != (current.content.list_id, current.content.parent_id)
    if new_place:
        check_parent(content, subtree, lineage)
    position, rekeyed = None, dict[UUID, str]()
    if target is not None:
        siblings = await uow.tasks.siblings(owner, content.list_id, content.parent_id)
        try:
            rekeyed = placed(siblings, task_id, target)
        except NotASibling:
            field = "before" if target.before is not None else "after"
            raise InvalidTask([FieldError(field, NOT_A_SIBLING)]) from None
        position = rekeyed.pop(task_id, None)
    elif new_place:
        position = key_after(await uow.tasks.last_position(owner, content.list_id, content.parent_id))
    # A rebalance (ordering.py): every other sibling whose key changes is a new version too.
    for sibling_id, key in rekeyed.items():
        sibling = await uow.tasks.get(owner, TaskId(sibling_id))
        if sibling is not None:
            uow.tasks.save(sibling.revised(TaskPatch(), now, position=key))
    revised = current.revised(patch, now, position=position, reordered=bool(rekeyed))
    if revised is not current:
        uow.tasks.save(revised)
        for task in consequences(revised, subtree, lineage, now):
            uow.tasks.save(task)
    return revised


async def delete(
    uow: UnitOfWork, owner: UserId, task_id: TaskId, condition: VersionCondition | None, *, now: datetime
) -> Task:
    """The task and its whole subtree, each a tombstone of its own in the change feed: the task
    as it was."""
    subtree = await current_subtree(uow, owner, task_id, condition)
    for task in subtree:
        uow.tasks.delete(owner, task.id, at=now)
    return subtree[0]
