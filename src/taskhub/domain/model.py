"""The Task entity and the value types around it.

A task's fields are declared once, here: the writable ones as `TaskContent`'s fields (name, type,
default, and the limit the storage sizes its column by), the server's as `Task`'s. The table,
the row mapping, the SQL and the HTTP schemas derive from these declarations; every rule a field
obeys is in `_FIELD_RULES`, and every limit is a constant below, written once.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any, Final, NewType
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from taskhub.domain.errors import FieldError, InvalidTask
from taskhub.domain.positions import POSITION_MAX_LENGTH, key_after
from taskhub.domain.recurrence import NO_OCCURRENCE, RECURRENCE_MAX_LENGTH, InvalidRule, Rule

# The position of a task the store has not placed yet (Task.create); never stored.
UNPLACED: Final = ""

TaskId = NewType("TaskId", UUID)
ListId = NewType("ListId", UUID)
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


_BY_RANK: Final = tuple(Priority)
_RANKS: Final = {priority: rank for rank, priority in enumerate(_BY_RANK)}


def has_control_characters(value: str) -> bool:
    """Control characters (tab and newline included) or lone surrogates: in no name or title."""
    return _FORBIDDEN_IN_LINE.search(value) is not None


def is_valid_user_id(value: str) -> bool:
    """A user id is the token's `sub`: a non-empty string of bounded length."""
    return 0 < len(value) <= USER_ID_MAX_LENGTH and not has_control_characters(value)


def limit(max_length: int, *, items: int | None = None) -> dict[str, int]:
    """A field's size as storage needs it: characters (of each item, for a list), and items."""
    return {"max_length": max_length} | ({"max_items": items} if items is not None else {})


@dataclass(frozen=True, slots=True)
class TaskContent:
    """The fields a user writes. Constructing one validates and normalises them: invalid content
    cannot exist (`InvalidTask` names every broken rule)."""

    title: str = field(metadata=limit(TITLE_MAX_LENGTH))
    description: str = field(default="", metadata=limit(DESCRIPTION_MAX_LENGTH))
    completed: bool = False
    priority: Priority = Priority.NONE
    due_at: datetime | None = None
    time_zone: str | None = field(default=None, metadata=limit(TIME_ZONE_MAX_LENGTH))
    tags: tuple[str, ...] = field(default=(), metadata=limit(TAG_MAX_LENGTH, items=TAGS_MAX_COUNT))
    # The caller's list the task is in; None: the inbox. That the list is the caller's is checked
    # where lists are known (the use case, under the owner's lock), not by this field's rule.
    list_id: ListId | None = None
    # The caller's task this one is a subtask of; None: a top-level task. That it is the caller's,
    # in the same list, and no cycle or fifth level, is checked where tasks are known (tree.py,
    # applied by the use case under the owner's lock), not by this field's rule.
    parent_id: TaskId | None = None
    # An RFC 5545 RRULE value in canonical form (recurrence.py), or None: a task that repeats
    # from its due date, in its time zone. That it has a due date and an occurrence is checked
    # where its start is known (`Task.create`, `Task.revised`), not by this field's rule.
    recurrence: str | None = field(default=None, metadata=limit(RECURRENCE_MAX_LENGTH))

    def __post_init__(self) -> None:
        normalised = _normalised({f.name: getattr(self, f.name) for f in CONTENT_FIELDS})
        for name, value in normalised.items():
            if value is not getattr(self, name):
                # Frozen: normalised values are written once, here, before anyone sees them.
                object.__setattr__(self, name, value)


CONTENT_FIELDS: Final = fields(TaskContent)
CONTENT_FIELD_NAMES: Final = tuple(f.name for f in CONTENT_FIELDS)


@dataclass(frozen=True, slots=True)
class TaskPatch:
    """Some of a task's content fields, by name, with their new values; the others are kept.

    The body of PATCH, the whole content of PUT (`replacing`), the fields of a new task, and the
    change a completion or a reopening makes are all patches: one kind of change, one rule for it
    (`Task.revised`)."""

    values: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        unknown = {name for name, _ in self.values} - set(CONTENT_FIELD_NAMES)
        if unknown:
            raise ValueError(f"not content fields: {sorted(unknown)}")

    @classmethod
    def of(cls, **values: Any) -> TaskPatch:
        """Fields in declaration order, whatever order they were given in."""
        unknown = set(values) - set(CONTENT_FIELD_NAMES)
        if unknown:
            raise ValueError(f"not content fields: {sorted(unknown)}")
        return cls(tuple((name, values[name]) for name in CONTENT_FIELD_NAMES if name in values))

    @classmethod
    def replacing(cls, content: TaskContent) -> TaskPatch:
        """Every field set to `content`'s: applied, it replaces the content (PUT)."""
        return cls(tuple((name, getattr(content, name)) for name in CONTENT_FIELD_NAMES))

    def changes(self) -> dict[str, Any]:
        return dict(self.values)

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self.values)

    def __bool__(self) -> bool:
        return bool(self.values)

    def validated(self) -> TaskPatch:
        """This patch with its values checked and normalised by the content's rules, before any
        task is read: every rule is about one field, so a patch that passes makes valid content
        of any valid task. Raises `InvalidTask` naming every broken rule."""
        return TaskPatch.of(**_normalised(self.changes()))

    def new_content(self) -> TaskContent:
        """The content of a new task with these fields, the others at their defaults."""
        return TaskContent(**self.changes())

    def applied_to(self, content: TaskContent) -> TaskContent:
        return replace(content, **self.changes()) if self.values else content


@dataclass(frozen=True, slots=True)
class Stamp:
    """A server field that holds the time a content flag last turned true: set to the revision's
    time when the flag turns true, cleared when it turns false, kept otherwise."""

    field: str
    flag: str

    def after(self, before: Task, content: TaskContent, now: datetime) -> datetime | None:
        was, now_set = getattr(before.content, self.flag), getattr(content, self.flag)
        if was == now_set:
            current: datetime | None = getattr(before, self.field)
            return current
        return now if now_set else None


@dataclass(frozen=True, slots=True)
class Placement:
    """A server field that orders siblings (tasks with the same values of `scope`): when a change
    gives a task other siblings, it goes last among them (`positions.key_after` of the last
    sibling's key), unless the change names its key (a move); otherwise it keeps its place."""

    field: str = "position"
    scope: tuple[str, ...] = ("list_id", "parent_id")


@dataclass(frozen=True, slots=True)
class RevisionRule:
    """What every change to a task does besides setting its content, declared once: applied by
    `Task.revised`, and compiled to SQL by a store that revises tasks in place (the contract
    suite holds the two together)."""

    counter: str = "version"  # + 1
    clock: str = "updated_at"  # the revision's time
    stamps: tuple[Stamp, ...] = (Stamp(field="completed_at", flag="completed"),)
    placement: Placement = Placement()


REVISION: Final = RevisionRule()

# The fields a repeating task's occurrences are computed from: a change to any of them starts the
# rule again from the (new) due date.
SCHEDULE_FIELDS: Final = ("due_at", "time_zone", "recurrence")
# The fields whose change is decided on the task as read (under the owner's lock) and saved whole,
# never revised in place by a store: the task's place (its subtree goes with it, its new ancestors
# may reopen), its completion (descendants complete, ancestors reopen, a repeating task moves on
# instead), and what a repeating task's rule starts from (the new start is checked).
DECIDED_ON_READ: Final = frozenset({*REVISION.placement.scope, "completed", *SCHEDULE_FIELDS})


@dataclass(frozen=True, slots=True)
class Task:
    """A user's task. Methods return a new Task; the same object when nothing changed."""

    id: TaskId
    owner_id: UserId = field(metadata=limit(USER_ID_MAX_LENGTH))
    content: TaskContent
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    # Orders the task among its siblings, byte-wise (positions.py); assigned by the store, which
    # knows the siblings: a new task goes last.
    position: str = field(default=UNPLACED, metadata=limit(POSITION_MAX_LENGTH))
    # A repeating task: when a completion last moved it to its next occurrence (None: never).
    last_completed_at: datetime | None = None
    # A repeating task: the due date its rule counts occurrences from (COUNT, INTERVAL), set when
    # the rule, the due date or the zone is set by the user, kept when a completion moves the due
    # date on. None for a task that does not repeat. Not shown to clients.
    recurrence_start: datetime | None = None

    @classmethod
    def create(cls, task_id: TaskId, owner_id: UserId, content: TaskContent, now: datetime) -> Task:
        """A new task, not placed yet: the store puts it last among its siblings. A repeating
        one starts its rule at its due date (InvalidTask if it has none, or the rule no
        occurrence from there)."""
        start = _started(content, "recurrence") if content.recurrence is not None else None
        return cls(
            id=task_id,
            owner_id=owner_id,
            content=content,
            completed_at=now if content.completed else None,
            created_at=now,
            updated_at=now,
            version=1,
            recurrence_start=start,
        )

    def is_owned_by(self, user: UserId) -> bool:
        return self.owner_id == user

    def siblings_scope(self) -> tuple[Any, ...]:
        """What a task's siblings share with it (`REVISION.placement.scope`)."""
        return _scope(self.content)

    def revised(
        self,
        patch: TaskPatch,
        now: datetime,
        *,
        last_sibling: LastSibling | None = None,
        position: str | None = None,
        reordered: bool = False,
        cascaded: bool = False,
    ) -> Task:
        """The task with `patch` applied, by the revision rule (`REVISION`): a new version at
        `now`, stamps following their flags, at `position` when given (a move, or a subtask that
        goes with its parent and keeps its key), else placed last among its new siblings when it
        has new ones (`last_sibling` gives their last key); the same task when neither its content
        nor its position changes, unless `reordered` (a move that gave its siblings fresh keys and
        left it its own: its place among them changed all the same). A repeating task completed
        moves to its next occurrence instead (`_scheduled`), unless the completion is `cascaded`
        from an ancestor's: a completed task has no open descendant."""
        content = patch.applied_to(self.content)
        content, start, last_completed = _scheduled(self, patch, content, now, moves_on=not cascaded)
        if position is None and _scope(content) != _scope(self.content):
            if last_sibling is None:
                raise ValueError("a task given new siblings needs the last sibling's key")
            position = key_after(last_sibling(replace(self, content=content)))
        if position is None:
            position = self.position
        if content == self.content and position == self.position and not reordered:
            return self
        changes: dict[str, Any] = {stamp.field: stamp.after(self, content, now) for stamp in REVISION.stamps}
        changes |= {
            REVISION.clock: now,
            REVISION.counter: getattr(self, REVISION.counter) + 1,
            REVISION.placement.field: position,
        }
        return replace(
            self, content=content, **changes, recurrence_start=start, last_completed_at=last_completed
        )

    def advanced_from(self, before: Task) -> bool:
        """Whether this revision of `before` is a repeating task's completion that moved it to
        its next occurrence instead of completing it."""
        return self.last_completed_at != before.last_completed_at

    def placed(self, position: str) -> Task:
        return replace(self, position=position)


def _scope(content: TaskContent) -> tuple[Any, ...]:
    return tuple(getattr(content, name) for name in REVISION.placement.scope)


def _schedule_of(content: TaskContent) -> tuple[Any, ...]:
    return tuple(getattr(content, name) for name in SCHEDULE_FIELDS)


_NEEDS_A_DUE_DATE: Final = {
    "recurrence": "needs due_at: a repeating task repeats from its due date",
    "due_at": "must be set while the task repeats (set recurrence to null first, or with it)",
    "time_zone": "must be a zone where the task's rule has an occurrence",
}


# The field an error about a restarted rule names: the first of these the change sent.
_NAMED_FIRST: Final = ("recurrence", "due_at", "time_zone")


def _started(content: TaskContent, named: str) -> datetime:
    """The start of `content`'s rule: its due date, if the rule has an occurrence from there.
    InvalidTask on `named` (the field whose change started it) otherwise."""
    assert content.recurrence is not None  # noqa: S101 - only called for a repeating task
    if content.due_at is None:
        raise InvalidTask([FieldError(named, _NEEDS_A_DUE_DATE[named])])
    if Rule.parse(content.recurrence).first(content.due_at, content.time_zone) is None:
        raise InvalidTask([FieldError(named, NO_OCCURRENCE)])
    return content.due_at


def _scheduled(
    before: Task, patch: TaskPatch, content: TaskContent, now: datetime, *, moves_on: bool
) -> tuple[TaskContent, datetime | None, datetime | None]:
    """A repeating task's rule applied to a revision of `before` to `content`: the rule starts
    again at the due date when the user changes the rule, the due date or the zone; a completion
    with an occurrence after the current due date moves the due date there and keeps the task
    open, stamped `last_completed_at`. (content, recurrence_start, last_completed_at)."""
    start, last_completed = before.recurrence_start, before.last_completed_at
    if content.recurrence is None:
        return content, None, last_completed
    if start is None or _schedule_of(content) != _schedule_of(before.content):
        changed = patch.changes()
        start = _started(content, next((name for name in _NAMED_FIRST if name in changed), "recurrence"))
    if moves_on and content.completed and not before.content.completed and content.due_at is not None:
        following = Rule.parse(content.recurrence).next(start, content.time_zone, content.due_at)
        if following is not None:
            content = replace(content, completed=False, due_at=following)
            last_completed = now
    return content, start, last_completed


# The key of the last live task among a task's siblings (the task itself left out), None if none.
LastSibling = Callable[["Task"], "str | None"]


TASK_FIELDS: Final = fields(Task)


def check_line(name: str, value: str, max_length: int, errors: list[FieldError]) -> str:
    """A one-line text: every rule is about what is left after trimming (a pasted "\\tTitle\\n"
    is "Title")."""
    trimmed = value.strip()
    if not trimmed:
        errors.append(FieldError(name, "must not be empty or only whitespace"))
    elif len(trimmed) > max_length:
        errors.append(FieldError(name, f"must be at most {max_length} characters"))
    if _FORBIDDEN_IN_LINE.search(trimmed):
        errors.append(FieldError(name, "must not contain control characters"))
    return trimmed


def _title(value: str, errors: list[FieldError]) -> str:
    return check_line("title", value, TITLE_MAX_LENGTH, errors)


def _description(value: str, errors: list[FieldError]) -> str:
    if len(value) > DESCRIPTION_MAX_LENGTH:
        errors.append(FieldError("description", f"must be at most {DESCRIPTION_MAX_LENGTH} characters"))
    if _FORBIDDEN_IN_TEXT.search(value):
        errors.append(
            FieldError("description", "must not contain control characters other than tab and newline")
        )
    return value


def _completed(value: bool, errors: list[FieldError]) -> bool:
    return value


def _priority(value: object, errors: list[FieldError]) -> Priority:
    if isinstance(value, Priority):
        return value
    if isinstance(value, str) and value in _RANKS:
        return Priority(value)
    errors.append(FieldError("priority", "must be one of " + ", ".join(p.value for p in Priority)))
    return Priority.NONE


def _due_at(value: datetime | None, errors: list[FieldError]) -> datetime | None:
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


def _time_zone(value: str | None, errors: list[FieldError]) -> str | None:
    if value is not None and (len(value) > TIME_ZONE_MAX_LENGTH or not _is_iana_zone(value)):
        errors.append(FieldError("time_zone", "must be an IANA time zone name such as Europe/Paris"))
    return value


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


def _list_id(value: ListId | None, errors: list[FieldError]) -> ListId | None:
    return value


def _parent_id(value: TaskId | None, errors: list[FieldError]) -> TaskId | None:
    return value


def _recurrence(value: str | None, errors: list[FieldError]) -> str | None:
    if value is None:
        return None
    try:
        return Rule.parse(value).text()
    except InvalidRule as refused:
        errors.append(FieldError("recurrence", str(refused)))
        return value


def _tags(values: tuple[str, ...], errors: list[FieldError]) -> tuple[str, ...]:
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
        check_line(f"tags[{index}]", tag, TAG_MAX_LENGTH, errors)
    return tuple(first_seen)


# Each content field's rule: its value checked (problems appended) and normalised. A test holds
# this table and TaskContent's fields to the same names.
_FIELD_RULES: Final[Mapping[str, Callable[[Any, list[FieldError]], Any]]] = {
    "title": _title,
    "description": _description,
    "completed": _completed,
    "priority": _priority,
    "due_at": _due_at,
    "time_zone": _time_zone,
    "tags": _tags,
    "list_id": _list_id,
    "parent_id": _parent_id,
    "recurrence": _recurrence,
}


def _normalised(values: Mapping[str, Any]) -> dict[str, Any]:
    """`values` checked and normalised by their fields' rules, in the fields' order, so errors are
    listed as a form shows them; InvalidTask naming every broken rule."""
    errors: list[FieldError] = []
    normalised = {
        name: _FIELD_RULES[name](values[name], errors) for name in CONTENT_FIELD_NAMES if name in values
    }
    if errors:
        raise InvalidTask(errors)
    return normalised


def field_rule_names() -> frozenset[str]:
    return frozenset(_FIELD_RULES)
