"""The Task entity and the value types around it.

Every limit is written here once; the HTTP schema, the table definition and the OpenAPI
document read these constants instead of repeating the numbers.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Final, NewType
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from taskhub.domain.errors import FieldError, InvalidTask

TaskId = NewType("TaskId", UUID)
UserId = NewType("UserId", str)

TITLE_MAX_LENGTH: Final = 200
DESCRIPTION_MAX_LENGTH: Final = 5000
TAGS_MAX_COUNT: Final = 20
TAG_MAX_LENGTH: Final = 40
TIME_ZONE_MAX_LENGTH: Final = 64
USER_ID_MAX_LENGTH: Final = 255
IDEMPOTENCY_KEY_MAX_LENGTH: Final = 255

# Control characters (C0, DEL, C1) and UTF-16 surrogates, which a JSON "\ud800" escape can
# smuggle into a str and which no database encoding accepts.
_CONTROLS: Final = "\\x00-\\x1f\\x7f-\\x9f\\ud800-\\udfff"
# The description keeps tab, line feed and carriage return: it is multi-line text.
_CONTROLS_BUT_WHITESPACE: Final = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\\ud800-\\udfff"

DESCRIPTION_PATTERN: Final = f"^[^{_CONTROLS_BUT_WHITESPACE}]*$"

_FORBIDDEN_IN_LINE = re.compile(f"[{_CONTROLS}]")
_FORBIDDEN_IN_TEXT = re.compile(f"[{_CONTROLS_BUT_WHITESPACE}]")
# Restoring a stored task writes its frozen fields directly (`restore`) through their slots'
# descriptors, one call per field written out (bound below the classes): timeit, per TaskContent,
# 1.09 us through object.__setattr__ (which looks each name up), 0.46 us through the descriptors,
# 0.78 us with a loop over them; a page of 50 tasks restores 100 objects.
_new = object.__new__


class Priority(enum.StrEnum):
    """How urgent a task is; members are declared in sort order."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    @classmethod
    def from_rank(cls, rank: int) -> Priority:
        return _BY_RANK[rank]


# Every stored task's priority goes through these: looked up, not rebuilt from the enum each time.
_BY_RANK: Final = tuple(Priority)
_RANKS: Final = {priority: rank for rank, priority in enumerate(_BY_RANK)}


def has_control_characters(value: str) -> bool:
    """Control characters (tab and newline included) or lone surrogates: in no name or title."""
    return _FORBIDDEN_IN_LINE.search(value) is not None


def is_valid_user_id(value: str) -> bool:
    """A user id is the token's `sub`: a non-empty string of bounded length."""
    return 0 < len(value) <= USER_ID_MAX_LENGTH and not _FORBIDDEN_IN_LINE.search(value)


@dataclass(frozen=True, slots=True)
class TaskContent:
    """The fields a user writes. Constructing one validates and normalises them.

    Invalid content cannot exist: `__post_init__` raises `InvalidTask` naming every broken rule.
    """

    title: str
    description: str = ""
    completed: bool = False
    priority: Priority = Priority.NONE
    due_at: datetime | None = None
    time_zone: str | None = None
    tags: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        errors: list[FieldError] = []
        # In the order of the fields, so errors are listed as a form shows them.
        title = _check_line("title", self.title, TITLE_MAX_LENGTH, errors)
        _check_text("description", self.description, DESCRIPTION_MAX_LENGTH, errors)
        priority = _check_priority(self.priority, errors)
        due_at = _check_due_at(self.due_at, errors)
        _check_time_zone(self.time_zone, errors)
        tags = _check_tags(self.tags, errors)
        if errors:
            raise InvalidTask(errors)
        # Frozen dataclass: normalised values are written once, here, before anyone sees them
        # (only those normalising changed: every stored task read back comes through here).
        if title is not self.title:
            object.__setattr__(self, "title", title)
        if due_at is not self.due_at:
            object.__setattr__(self, "due_at", due_at)
        if tags is not self.tags:
            object.__setattr__(self, "tags", tags)
        if priority is not self.priority:
            object.__setattr__(self, "priority", priority)

    @classmethod
    def restore(
        cls,
        title: str,
        description: str,
        completed: bool,
        priority: Priority,
        due_at: datetime | None,
        time_zone: str | None,
        tags: tuple[str, ...],
    ) -> TaskContent:
        """Content read back from storage, where it could only arrive through the constructor:
        the rules are not run again. A rule made stricter later must not make stored tasks
        unreadable (the migration that tightens it brings old rows in line), and a page of 50
        tasks would otherwise re-check every one of them on every read."""
        content = _new(cls)
        _content_title(content, title)
        _content_description(content, description)
        _content_completed(content, completed)
        _content_priority(content, priority)
        _content_due_at(content, due_at)
        _content_time_zone(content, time_zone)
        _content_tags(content, tags)
        return content


class _Keep(enum.Enum):
    """Marks a field a patch leaves as it is (distinct from None, which clears)."""

    KEEP = enum.auto()


KEEP: Final = _Keep.KEEP


@dataclass(frozen=True, slots=True)
class TaskPatch:
    """A partial change: fields left at KEEP stay as they are."""

    title: str | _Keep = KEEP
    description: str | _Keep = KEEP
    completed: bool | _Keep = KEEP
    priority: Priority | _Keep = KEEP
    due_at: datetime | None | _Keep = KEEP
    time_zone: str | None | _Keep = KEEP
    tags: tuple[str, ...] | _Keep = KEEP

    @classmethod
    def of(cls, content: TaskContent) -> TaskPatch:
        """Every field set to `content`'s: applied, it replaces the content (PUT)."""
        return cls(
            title=content.title,
            description=content.description,
            completed=content.completed,
            priority=content.priority,
            due_at=content.due_at,
            time_zone=content.time_zone,
            tags=content.tags,
        )

    def changes(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__ if getattr(self, name) is not KEEP}

    def validated(self) -> TaskPatch:
        """This patch with the fields it carries checked and normalised by TaskContent's rules,
        before any task is read: every rule is about one field, so a patch that passes makes
        valid content of any valid task, and a store can apply it without the task in hand
        (`TaskRepository.apply_patch`). Raises `InvalidTask` naming every broken rule."""
        errors: list[FieldError] = []
        title, due_at, tags, priority = self.title, self.due_at, self.tags, self.priority
        if not isinstance(title, _Keep):
            title = _check_line("title", title, TITLE_MAX_LENGTH, errors)
        if not isinstance(self.description, _Keep):
            _check_text("description", self.description, DESCRIPTION_MAX_LENGTH, errors)
        if not isinstance(priority, _Keep):
            priority = _check_priority(priority, errors)
        if not isinstance(due_at, _Keep):
            due_at = _check_due_at(due_at, errors)
        if not isinstance(self.time_zone, _Keep):
            _check_time_zone(self.time_zone, errors)
        if not isinstance(tags, _Keep):
            tags = _check_tags(tags, errors)
        if errors:
            raise InvalidTask(errors)
        return replace(self, title=title, due_at=due_at, tags=tags, priority=priority)


@dataclass(frozen=True, slots=True)
class Task:
    """A user's task. Methods return a new Task; the same object when nothing changed."""

    id: TaskId
    owner_id: UserId
    content: TaskContent
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def create(cls, task_id: TaskId, owner_id: UserId, content: TaskContent, now: datetime) -> Task:
        return cls(
            id=task_id,
            owner_id=owner_id,
            content=content,
            completed_at=now if content.completed else None,
            created_at=now,
            updated_at=now,
            version=1,
        )

    @classmethod
    def restore(
        cls,
        task_id: TaskId,
        owner_id: UserId,
        content: TaskContent,
        completed_at: datetime | None,
        created_at: datetime,
        updated_at: datetime,
        version: int,
    ) -> Task:
        """A task read back from storage (see `TaskContent.restore`); the same object the
        constructor would build, without the frozen dataclass's slower way there."""
        task = _new(cls)
        _task_id(task, task_id)
        _task_owner_id(task, owner_id)
        _task_content(task, content)
        _task_completed_at(task, completed_at)
        _task_created_at(task, created_at)
        _task_updated_at(task, updated_at)
        _task_version(task, version)
        return task

    def is_owned_by(self, user: UserId) -> bool:
        return self.owner_id == user

    def replace(self, content: TaskContent, now: datetime) -> Task:
        """Full replacement of the writable fields (PUT)."""
        return self._revised(content, now)

    def patch(self, patch: TaskPatch, now: datetime) -> Task:
        """Change only the fields the patch carries (PATCH). The rules of a revision (`_revised`)
        are also what a store applying a patch in place must do; the contract suite holds every
        adapter's `apply_patch` to this method."""
        changes = patch.changes()
        if not changes:
            return self
        return self._revised(replace(self.content, **changes), now)  # type: ignore[arg-type]

    def complete(self, now: datetime) -> Task:
        return self._revised(replace(self.content, completed=True), now)

    def reopen(self, now: datetime) -> Task:
        return self._revised(replace(self.content, completed=False), now)

    def _revised(self, content: TaskContent, now: datetime) -> Task:
        if content == self.content:
            return self
        if content.completed == self.content.completed:
            completed_at = self.completed_at
        else:
            completed_at = now if content.completed else None
        return replace(
            self,
            content=content,
            completed_at=completed_at,
            updated_at=now,
            version=self.version + 1,
        )


def _slot_setters(cls: type, *names: str) -> tuple[Callable[[object, object], None], ...]:
    return tuple(cls.__dict__[name].__set__ for name in names)


(
    _content_title,
    _content_description,
    _content_completed,
    _content_priority,
    _content_due_at,
    _content_time_zone,
    _content_tags,
) = _slot_setters(TaskContent, "title", "description", "completed", "priority", "due_at", "time_zone", "tags")
(
    _task_id,
    _task_owner_id,
    _task_content,
    _task_completed_at,
    _task_created_at,
    _task_updated_at,
    _task_version,
) = _slot_setters(Task, "id", "owner_id", "content", "completed_at", "created_at", "updated_at", "version")


def _check_line(name: str, value: str, max_length: int, errors: list[FieldError]) -> str:
    """A one-line text: every rule is about what is left after trimming (a pasted "\tTitle\n"
    is "Title")."""
    trimmed = value.strip()
    if not trimmed:
        errors.append(FieldError(name, "must not be empty or only whitespace"))
    elif len(trimmed) > max_length:
        errors.append(FieldError(name, f"must be at most {max_length} characters"))
    if _FORBIDDEN_IN_LINE.search(trimmed):
        errors.append(FieldError(name, "must not contain control characters"))
    return trimmed


def _check_text(name: str, value: str, max_length: int, errors: list[FieldError]) -> None:
    if len(value) > max_length:
        errors.append(FieldError(name, f"must be at most {max_length} characters"))
    if _FORBIDDEN_IN_TEXT.search(value):
        errors.append(FieldError(name, "must not contain control characters other than tab and newline"))


def _check_due_at(value: datetime | None, errors: list[FieldError]) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        errors.append(FieldError("due_at", "must carry a UTC offset (RFC 3339)"))
        return value
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 9999-12-31T23:59-05:00 is a valid RFC 3339 time whose UTC instant is in year 10000.
        errors.append(FieldError("due_at", "must fall between the years 0001 and 9999 in UTC"))
        return value


def _check_time_zone(value: str | None, errors: list[FieldError]) -> None:
    if value is None:
        return
    if len(value) > TIME_ZONE_MAX_LENGTH or not _is_iana_zone(value):
        errors.append(FieldError("time_zone", "must be an IANA time zone name such as Europe/Paris"))


def _is_iana_zone(name: str) -> bool:
    # available_timezones() rules out file-system tricks ("../x") and abbreviations tzdata
    # happens to ship; ZoneInfo then proves the zone loads on this machine.
    if name not in _iana_zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


_ZONES: set[str] = set()


def _iana_zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES


def _check_tags(values: tuple[str, ...], errors: list[FieldError]) -> tuple[str, ...]:
    """Trimmed, duplicates removed (the first one kept, in place), then counted; an error names
    the first occurrence of the tag at fault, as the client sent it (`tags[3]`)."""
    if not values:
        return ()
    first_seen: dict[str, int] = {}
    for index, raw in enumerate(values):
        first_seen.setdefault(raw.strip(), index)
        if len(first_seen) > TAGS_MAX_COUNT:
            errors.append(FieldError("tags", f"must hold at most {TAGS_MAX_COUNT} different tags"))
            return values
    for tag, index in first_seen.items():
        _check_line(f"tags[{index}]", tag, TAG_MAX_LENGTH, errors)
    return tuple(first_seen)


def _check_priority(value: object, errors: list[FieldError]) -> Priority:
    if isinstance(value, Priority):
        return value
    if isinstance(value, str) and value in _RANKS:
        return Priority(value)
    errors.append(FieldError("priority", "must be one of " + ", ".join(p.value for p in Priority)))
    return Priority.NONE
