"""Request and response bodies (msgspec), made from the domain's field declarations: a writable
field is one line of WRITABLE, a server field none. Limits are the domain's constants, never new
numbers."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Final
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from taskhub.application.tasks import ChangePage, TaskPage
from taskhub.domain.model import (
    CONTENT_FIELD_NAMES,
    CONTENT_FIELDS,
    DESCRIPTION_MAX_LENGTH,
    DESCRIPTION_PATTERN,
    TAG_MAX_LENGTH,
    TAGS_MAX_COUNT,
    TASK_FIELDS,
    TIME_ZONE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Priority,
    Task,
    TaskContent,
    TaskPatch,
)
from taskhub.domain.recurrence import COUNT_MAX, INTERVAL_MAX, RECURRENCE_MAX_LENGTH
from taskhub.ports.repositories import Change

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


Recurrence = Annotated[
    str,
    Meta(
        max_length=RECURRENCE_MAX_LENGTH,
        description=(
            "An RFC 5545 RRULE value without the `RRULE:` prefix, or null: the task repeats from "
            "`due_at` (required), in `time_zone` (UTC when null). Parts: FREQ (DAILY, WEEKLY, "
            f"MONTHLY, YEARLY), INTERVAL (1..{INTERVAL_MAX}), BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS, "
            f"COUNT (1..{COUNT_MAX}), UNTIL, WKST. Returned in canonical upper-case form. Completing "
            "a repeating task with an occurrence left moves `due_at` to it and keeps the task open."
        ),
        examples=["FREQ=WEEKLY;BYDAY=MO,WE"],
    ),
]


ListIdField = Annotated[
    UUID,
    Meta(
        description="One of your lists, or null for the inbox. Another user's, an unknown or a "
        "deleted list is refused alike (422 on `list_id`)."
    ),
]


ParentIdField = Annotated[
    UUID,
    Meta(
        description="Another of your tasks this one is a subtask of (same list, at most 4 levels), "
        "or null for a top-level task. Self, a subtask of this task, a task in another list, a "
        "fifth level, or a task that is not yours: 422 on `parent_id`."
    ),
]


class _Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Request bodies refuse unknown fields: a typo must not be silently ignored."""


# Every field a client writes, one line each: its type as a client sends it, with what the schema
# checks and says. Its default, and whether it is required, are the domain's (TaskContent); a
# test holds this table and TaskContent's fields to the same names.
WRITABLE: Final[dict[str, Any]] = {
    "title": Title,
    "description": Description,
    "completed": bool,
    "priority": Priority,
    "due_at": DueAt | None,
    "time_zone": TimeZone | None,
    "tags": Tags,
    "list_id": ListIdField | None,
    "parent_id": ParentIdField | None,
    "recurrence": Recurrence | None,
}


def _with_default(field: dataclasses.Field[Any]) -> tuple[Any, ...]:
    kind = WRITABLE[field.name]
    if field.default is dataclasses.MISSING:
        return (field.name, kind)
    if isinstance(field.default, tuple):
        return (field.name, kind, msgspec.field(default_factory=list))
    return (field.name, kind, field.default)


# The bodies are made from WRITABLE (msgspec.defstruct), so a type checker does not know them as
# types: annotations naming them say `type: ignore[valid-type]`.
TaskCreate = msgspec.defstruct(
    "TaskCreate", [_with_default(f) for f in CONTENT_FIELDS], bases=(_Body,), kw_only=True
)
TaskCreate.__doc__ = "A new task: `title`, and any other writable field (absent ones take their defaults)."
TaskReplace = msgspec.defstruct(
    "TaskReplace", [_with_default(f) for f in CONTENT_FIELDS], bases=(_Body,), kw_only=True
)
TaskReplace.__doc__ = "PUT: every writable field; absent ones are reset to their defaults."
TaskUpdate = msgspec.defstruct(
    "TaskUpdate",
    [(f.name, WRITABLE[f.name] | UnsetType, UNSET) for f in CONTENT_FIELDS],
    bases=(_Body,),
    kw_only=True,
)
TaskUpdate.__doc__ = (
    "PATCH: only the fields sent change; `null` clears `due_at`, `time_zone` and `recurrence`."
)


def fields_of(body: msgspec.Struct) -> TaskPatch:
    """The fields a body sent (all of them for POST and PUT, whose absent ones took defaults), as
    the domain's patch: not yet validated (the use case does that)."""
    values = {name: getattr(body, name) for name in CONTENT_FIELD_NAMES}
    return TaskPatch.of(
        **{
            name: tuple(value) if isinstance(value, list) else value
            for name, value in values.items()
            if value is not UNSET
        }
    )


def _read_type(hint: Any) -> Any:
    """A domain type as a response states it: ids as UUIDs, tuples as arrays."""
    while isinstance(hint, typing.NewType):
        hint = hint.__supertype__
    if typing.get_origin(hint) is tuple:
        return list[typing.get_args(hint)[0]]  # type: ignore[misc]
    return hint


def _read_fields() -> list[tuple[str, Any]]:
    task_hints, content_hints = typing.get_type_hints(Task), typing.get_type_hints(TaskContent)
    fields: list[tuple[str, Any]] = []
    for field in TASK_FIELDS:
        if field.name == "content":
            fields += ((f.name, _read_type(content_hints[f.name])) for f in CONTENT_FIELDS)
        elif field.name not in _NOT_SHOWN:
            fields.append((field.name, _READ_TYPES.get(field.name, _read_type(task_hints[field.name]))))
    return fields


# The owner is the caller; a repeating task's start is the server's bookkeeping: never part of a
# task's representation.
_NOT_SHOWN: Final = frozenset({"owner_id", "recurrence_start"})
_READ_TYPES: Final[dict[str, Any]] = {
    "version": Annotated[int, Meta(ge=1, description="+1 on every change; the ETag is its quoted value.")],
    "last_completed_at": Annotated[
        datetime | None,
        Meta(
            description="Read-only: when a completion last moved this repeating task to its next "
            "occurrence; null until then."
        ),
    ],
    "position": Annotated[
        str,
        Meta(
            description="Read-only, opaque: orders the task among its siblings (same list and "
            "parent) when compared as byte strings; ties broken by id."
        ),
    ],
}
# A task as the API shows it: every field of the domain's Task (content spread), in their order.
TaskRead = msgspec.defstruct("TaskRead", _read_fields(), kw_only=True)


def _compile_from_domain() -> Callable[[Task], msgspec.Struct]:
    """TaskRead of a task, one keyword per field, generated once: a page of 50 tasks makes 50
    (a generic dict of the fields cost a list-50 about 75 us more, five times this)."""
    names = [name for name, _ in _read_fields()]
    content = {f.name for f in CONTENT_FIELDS}
    arguments = ", ".join(f"{n}=content.{n}" if n in content else f"{n}=task.{n}" for n in names)
    source = f"def task_read(task):\n    content = task.content\n    return TaskRead({arguments})"
    namespace: dict[str, Any] = {"TaskRead": TaskRead}
    exec(compile(source, "<generated by schemas.py>", "exec"), namespace)  # noqa: S102 - generated above
    made: Callable[[Task], msgspec.Struct] = namespace["task_read"]
    return made


task_read: Final = _compile_from_domain()


class TasksPage(msgspec.Struct, kw_only=True):
    items: list[TaskRead]  # type: ignore[valid-type]
    next_cursor: str | None

    @classmethod
    def from_page(cls, page: TaskPage) -> TasksPage:
        return cls(items=[task_read(t) for t in page.items], next_cursor=page.next_cursor)


class ChangeEntry(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: UUID
    deleted: bool
    task: TaskRead | None = None  # type: ignore[valid-type]


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
                    task=task_read(c.task) if c.task else None,
                )
                for c in page.changes
                if isinstance(c, Change)
            ],
            next_since=page.next_since,
            has_more=page.has_more,
        )
