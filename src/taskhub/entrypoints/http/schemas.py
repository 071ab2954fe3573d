"""Request and response bodies (msgspec). Limits are the domain's constants, never new numbers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from taskhub.application.tasks import ChangePage, TaskPage
from taskhub.domain.model import (
    DESCRIPTION_MAX_LENGTH,
    DESCRIPTION_PATTERN,
    KEEP,
    TAG_MAX_LENGTH,
    TAGS_MAX_COUNT,
    TIME_ZONE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Priority,
    Task,
    TaskContent,
    TaskPatch,
)

# Trimmed fields carry no length or pattern here: their rules are about what is left after
# trimming, which the domain checks (TaskContent), naming the field. The body size limit bounds
# the raw text.
Title = Annotated[
    str,
    Meta(
        description=f"1..{TITLE_MAX_LENGTH} characters after trimming surrounding whitespace; "
        "no control characters.",
        examples=["Buy milk"],
    ),
]
Description = Annotated[
    str,
    Meta(
        max_length=DESCRIPTION_MAX_LENGTH,
        pattern=DESCRIPTION_PATTERN,
        description="Free text; newlines and tabs allowed, other control characters not.",
    ),
]
Tags = Annotated[
    list[str],
    Meta(
        description=f"Each 1..{TAG_MAX_LENGTH} characters after trimming surrounding whitespace, no "
        f"control characters; duplicates are removed (order kept), then at most {TAGS_MAX_COUNT} remain.",
        examples=[["home"]],
    ),
]
DueAt = Annotated[
    datetime,
    Meta(
        tz=True,
        description=(
            "RFC 3339 timestamp with an offset; returned in UTC. A date-only deadline is sent as "
            "the end of that day in the user's zone, with `time_zone` set."
        ),
    ),
]
TimeZone = Annotated[
    str,
    Meta(max_length=TIME_ZONE_MAX_LENGTH, description="IANA time zone name", examples=["Europe/Paris"]),
]


class _Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Request bodies refuse unknown fields: a typo must not be silently ignored."""


class TaskCreate(_Body):
    title: Title
    description: Description = ""
    completed: bool = False
    priority: Priority = Priority.NONE
    due_at: DueAt | None = None
    time_zone: TimeZone | None = None
    tags: Tags = msgspec.field(default_factory=list)

    def to_content(self) -> TaskContent:
        return TaskContent(
            title=self.title,
            description=self.description,
            completed=self.completed,
            priority=self.priority,
            due_at=self.due_at,
            time_zone=self.time_zone,
            tags=tuple(self.tags),
        )


class TaskReplace(TaskCreate):
    """PUT: every writable field; absent ones are reset to their defaults."""


class TaskUpdate(_Body):
    """PATCH: only the fields sent change; `null` clears `due_at` and `time_zone`."""

    title: Title | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    completed: bool | UnsetType = UNSET
    priority: Priority | UnsetType = UNSET
    due_at: DueAt | None | UnsetType = UNSET
    time_zone: TimeZone | None | UnsetType = UNSET
    tags: Tags | UnsetType = UNSET

    def to_patch(self) -> TaskPatch:
        return TaskPatch(
            title=KEEP if self.title is UNSET else self.title,
            description=KEEP if self.description is UNSET else self.description,
            completed=KEEP if self.completed is UNSET else self.completed,
            priority=KEEP if self.priority is UNSET else self.priority,
            due_at=KEEP if self.due_at is UNSET else self.due_at,
            time_zone=KEEP if self.time_zone is UNSET else self.time_zone,
            tags=KEEP if self.tags is UNSET else tuple(self.tags),
        )


class TaskRead(msgspec.Struct, kw_only=True):
    id: UUID
    title: str
    description: str
    completed: bool
    completed_at: datetime | None
    priority: Priority
    due_at: datetime | None
    time_zone: str | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    version: Annotated[int, Meta(ge=1, description="+1 on every change; the ETag is its quoted value.")]

    @classmethod
    def from_domain(cls, task: Task) -> TaskRead:
        content = task.content
        return cls(
            id=task.id,
            title=content.title,
            description=content.description,
            completed=content.completed,
            completed_at=task.completed_at,
            priority=content.priority,
            due_at=content.due_at,
            time_zone=content.time_zone,
            tags=list(content.tags),
            created_at=task.created_at,
            updated_at=task.updated_at,
            version=task.version,
        )


class TaskList(msgspec.Struct, kw_only=True):
    items: list[TaskRead]
    next_cursor: str | None

    @classmethod
    def from_page(cls, page: TaskPage) -> TaskList:
        return cls(items=[TaskRead.from_domain(t) for t in page.items], next_cursor=page.next_cursor)


class ChangeEntry(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: UUID
    deleted: bool
    task: TaskRead | None = None


class ChangeFeed(msgspec.Struct, kw_only=True):
    changes: list[ChangeEntry]
    next_since: str
    has_more: bool

    @classmethod
    def from_page(cls, page: ChangePage) -> ChangeFeed:
        return cls(
            changes=[
                ChangeEntry(
                    id=c.task_id,
                    deleted=c.task is None,
                    task=TaskRead.from_domain(c.task) if c.task else None,
                )
                for c in page.changes
            ],
            next_since=page.next_since,
            has_more=page.has_more,
        )
