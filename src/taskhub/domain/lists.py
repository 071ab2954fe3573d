"""Lists: named groups of a user's tasks (Todoist's projects, Google's task lists).

A task is in one of its owner's lists or, with no list, in the inbox, which is not a list object.
A list has a name the user writes and a position the server assigns (positions.py): a new list
goes last, and a move writes the moved list only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Final

from taskhub.domain.errors import FieldError, InvalidList
from taskhub.domain.model import USER_ID_MAX_LENGTH, ListId, UserId, check_line, limit
from taskhub.domain.positions import POSITION_MAX_LENGTH

LIST_NAME_MAX_LENGTH: Final = 100
# Lists are few and read whole (GET /api/lists has no pages): the bound keeps that one response
# and the sibling set a move reads small.
LISTS_PER_USER_MAX: Final = 500


def list_name(value: str) -> str:
    """The name as stored: trimmed; InvalidList naming `name` when it breaks a rule."""
    errors: list[FieldError] = []
    name = check_line("name", value, LIST_NAME_MAX_LENGTH, errors)
    if errors:
        raise InvalidList(errors)
    return name


@dataclass(frozen=True, slots=True)
class TaskList:
    """A user's list. Methods return a new TaskList; the same object when nothing changed."""

    id: ListId
    owner_id: UserId = field(metadata=limit(USER_ID_MAX_LENGTH))
    name: str = field(metadata=limit(LIST_NAME_MAX_LENGTH))
    position: str = field(metadata=limit(POSITION_MAX_LENGTH))
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def create(cls, list_id: ListId, owner_id: UserId, name: str, position: str, now: datetime) -> TaskList:
        return cls(
            id=list_id,
            owner_id=owner_id,
            name=list_name(name),
            position=position,
            created_at=now,
            updated_at=now,
            version=1,
        )

    def is_owned_by(self, user: UserId) -> bool:
        return self.owner_id == user

    def renamed(self, name: str, now: datetime) -> TaskList:
        """A new version with `name` (validated); the same list when the name is unchanged."""
        name = list_name(name)
        if name == self.name:
            return self
        return replace(self, name=name, updated_at=now, version=self.version + 1)

    def moved(self, position: str, now: datetime) -> TaskList:
        """A new version at `position`; the same list when it is already there."""
        if position == self.position:
            return self
        return replace(self, position=position, updated_at=now, version=self.version + 1)
