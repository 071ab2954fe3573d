"""Bodies of the `/api/lists` routes, the move body (lists and tasks), and the feed of
`GET /api/changes`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from taskhub.application.tasks import ChangePage
from taskhub.domain.errors import FieldError, InvalidFields
from taskhub.domain.lists import LIST_NAME_MAX_LENGTH, TaskList
from taskhub.domain.model import TaskPatch
from taskhub.domain.ordering import FIRST, MoveTarget
from taskhub.entrypoints.http.schemas import TaskRead, task_read
from taskhub.ports.repositories import Change

ListName = Annotated[
    str,
    Meta(
        description=f"1..{LIST_NAME_MAX_LENGTH} characters after trimming surrounding whitespace; "
        "no control characters.",
        examples=["Groceries"],
    ),
]
Position = Annotated[
    str,
    Meta(description="Read-only, opaque: orders your lists when compared as byte strings."),
]


class _Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Request bodies refuse unknown fields: a typo must not be silently ignored."""


class ListWrite(_Body):
    """A new list (POST), or its name (PUT, PATCH): a list's one writable field."""

    name: ListName


class ListPatch(_Body):
    """PATCH: only the fields sent change."""

    name: ListName | UnsetType = UNSET


class ListRead(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    position: Position
    created_at: datetime
    updated_at: datetime
    version: Annotated[int, Meta(ge=1, description="+1 on every change; the ETag is its quoted value.")]


def list_read(task_list: TaskList) -> ListRead:
    return ListRead(
        id=task_list.id,
        name=task_list.name,
        position=task_list.position,
        created_at=task_list.created_at,
        updated_at=task_list.updated_at,
        version=task_list.version,
    )


class ListsBody(msgspec.Struct, kw_only=True):
    items: list[ListRead]


class MoveBody(_Body):
    """Where to: right `after` a sibling, right `before` one, or first (`"after": null`).
    Exactly one of the two."""

    after: UUID | None | UnsetType = UNSET
    before: UUID | UnsetType = UNSET

    def target(self, invalid: type[InvalidFields]) -> MoveTarget:
        given = [name for name in ("after", "before") if getattr(self, name) is not UNSET]
        if len(given) != 1:
            field = "before" if given else "after"
            raise invalid(
                [FieldError(field, "give exactly one of after (a sibling's id, or null: first) and before")]
            )
        if isinstance(self.before, UUID):
            return MoveTarget(before=self.before)
        return MoveTarget(after=self.after) if isinstance(self.after, UUID) else FIRST


class TaskMoveBody(MoveBody):
    """A task's move: where among its siblings, and optionally its new place (`list_id`,
    `parent_id`; absent: unchanged). Changing only `list_id` of a subtask makes it top-level."""

    list_id: UUID | None | UnsetType = UNSET
    parent_id: UUID | None | UnsetType = UNSET

    def place(self) -> TaskPatch:
        return TaskPatch.of(
            **{
                name: getattr(self, name)
                for name in ("list_id", "parent_id")
                if getattr(self, name) is not UNSET
            }
        )


class FeedEntry(msgspec.Struct, kw_only=True, omit_defaults=True):
    type: Literal["task", "list"]
    id: UUID
    deleted: bool
    task: TaskRead | None = None  # type: ignore[valid-type]
    list: ListRead | None = None


class Feed(msgspec.Struct, kw_only=True):
    changes: list[FeedEntry]
    next_since: str
    has_more: bool

    @classmethod
    def from_page(cls, page: ChangePage) -> Feed:
        entries = []
        for change in page.changes:
            if isinstance(change, Change):
                task = None if change.task is None else task_read(change.task)
                entries.append(FeedEntry(type="task", id=change.task_id, deleted=task is None, task=task))
            else:
                listed = None if change.task_list is None else list_read(change.task_list)
                entries.append(FeedEntry(type="list", id=change.list_id, deleted=listed is None, list=listed))
        return cls(changes=entries, next_since=page.next_since, has_more=page.has_more)
