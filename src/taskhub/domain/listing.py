"""What a user can ask of their task list: filters, a sort order, and where a page starts."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from taskhub.domain.model import ListId, Priority, Task, TaskId

SEARCH_MAX_LENGTH: Final = 200
TAG_FILTER_MAX_COUNT: Final = 20


class SortField(enum.StrEnum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    DUE_AT = "due_at"
    PRIORITY = "priority"
    TITLE = "title"
    POSITION = "position"


@dataclass(frozen=True, slots=True)
class Sort:
    """A field and a direction; ties are always broken by id in the same direction, so the order
    is total. Tasks without `due_at` come last whichever the direction."""

    field: SortField = SortField.CREATED_AT
    descending: bool = True

    @classmethod
    def parse(cls, text: str) -> Sort:
        """`created_at` ascending, `-created_at` descending; ValueError for anything else."""
        descending = text.startswith("-")
        return cls(SortField(text.removeprefix("-")), descending)

    def __str__(self) -> str:
        return f"{'-' if self.descending else ''}{self.field.value}"


NEWEST_FIRST: Final = Sort(SortField.CREATED_AT, descending=True)

# A page boundary: the sort field's value of the last task shown (None: no due date) and its id.
SortValue = datetime | int | str | None


@dataclass(frozen=True, slots=True)
class PageKey:
    value: SortValue
    id: TaskId


class Inbox(enum.Enum):
    """The place of tasks in no list (a filter value next to a list's id)."""

    INBOX = "inbox"


INBOX: Final = Inbox.INBOX


class TopLevel(enum.Enum):
    """The place of tasks that are nobody's subtask (a filter value next to a parent's id)."""

    NONE = "none"


TOP_LEVEL: Final = TopLevel.NONE


@dataclass(frozen=True, slots=True)
class TaskFilter:
    """Every condition must hold; None means "no condition"."""

    completed: bool | None = None
    priorities: frozenset[Priority] | None = None
    tags: frozenset[str] | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    text: str | None = None
    # One list's tasks, or the inbox's.
    list_id: ListId | Inbox | None = None
    # One task's subtasks, or the top-level tasks.
    parent_id: TaskId | TopLevel | None = None

    def canonical(self) -> str:
        """A stable text form, so a cursor can be bound to the filters it was made for."""
        parts = [
            f"completed={self.completed}",
            "priorities=" + ",".join(sorted(p.value for p in self.priorities or ())),
            "tags=" + "\x1f".join(sorted(self.tags or ())),
            f"due_before={self.due_before.isoformat() if self.due_before else ''}",
            f"due_after={self.due_after.isoformat() if self.due_after else ''}",
            f"text={self.text or ''}",
            f"list={'' if self.list_id is None else getattr(self.list_id, 'value', self.list_id)}",
        ]
        # Named only when set, so that a cursor made before the filter existed still binds.
        if self.parent_id is not None:
            parts.append(f"parent={getattr(self.parent_id, 'value', self.parent_id)}")
        return "\x1e".join(parts)


def sort_value(task: Task, field: SortField) -> SortValue:
    """The value a task is ordered by for `field` (priority by its rank, none=0 .. high=3)."""
    match field:
        case SortField.CREATED_AT:
            return task.created_at
        case SortField.UPDATED_AT:
            return task.updated_at
        case SortField.DUE_AT:
            return task.content.due_at
        case SortField.PRIORITY:
            return task.content.priority.rank
        case SortField.TITLE:
            return task.content.title
        case SortField.POSITION:
            return task.position
