"""Query parameters of `GET /api/tasks`, parsed into the domain's filter and sort."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlencode
from uuid import UUID

from taskhub.domain.errors import InvalidParameter
from taskhub.domain.listing import (
    INBOX,
    SEARCH_MAX_LENGTH,
    TAG_FILTER_MAX_COUNT,
    TOP_LEVEL,
    Inbox,
    Sort,
    SortField,
    TaskFilter,
    TopLevel,
)
from taskhub.domain.model import TAG_MAX_LENGTH, ListId, Priority, TaskId, has_control_characters

SORT_VALUES = [f"{sign}{field.value}" for field in SortField for sign in ("", "-")]


def parse_sort(text: str) -> Sort:
    try:
        return Sort.parse(text)
    except ValueError:
        raise InvalidParameter("sort", f"must be one of {', '.join(SORT_VALUES)}") from None


def _moment(parameter: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "+"))
    except ValueError:
        raise InvalidParameter(
            parameter, "must be an RFC 3339 timestamp such as 2026-12-24T18:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise InvalidParameter(parameter, "must carry a UTC offset (Z or +01:00)")
    return moment


def _split(values: Iterable[str]) -> list[str]:
    # Both `priority=high&priority=low` and `priority=high,low` are accepted.
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _priorities(values: list[str] | None) -> frozenset[Priority] | None:
    if not values:
        return None
    try:
        return frozenset(Priority(value) for value in _split(values))
    except ValueError:
        raise InvalidParameter("priority", "must be none, low, medium or high") from None


def _tags(values: list[str] | None) -> frozenset[str] | None:
    if not values:
        return None
    tags = [value.strip() for value in values]
    if len(tags) > TAG_FILTER_MAX_COUNT or any(not 0 < len(tag) <= TAG_MAX_LENGTH for tag in tags):
        raise InvalidParameter(
            "tag", f"takes up to {TAG_FILTER_MAX_COUNT} tags of 1 to {TAG_MAX_LENGTH} characters"
        )
    if any(has_control_characters(tag) for tag in tags):
        raise InvalidParameter("tag", "must not contain control characters")
    return frozenset(tags)


def _text(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > SEARCH_MAX_LENGTH:
        raise InvalidParameter("q", f"must be at most {SEARCH_MAX_LENGTH} characters")
    if "\x00" in value:
        raise InvalidParameter("q", "must not contain NUL")
    return value.strip()


def _list_id(value: str | None) -> ListId | Inbox | None:
    if value is None:
        return None
    if value == INBOX.value:
        return INBOX
    try:
        return ListId(UUID(value))
    except ValueError:
        raise InvalidParameter("list_id", "must be the id of one of your lists, or inbox") from None


def _parent_id(value: str | None) -> TaskId | TopLevel | None:
    if value is None:
        return None
    if value == TOP_LEVEL.value:
        return TOP_LEVEL
    try:
        return TaskId(UUID(value))
    except ValueError:
        raise InvalidParameter("parent_id", "must be the id of one of your tasks, or none") from None


def parse_filter(
    *,
    completed: bool | None,
    priority: list[str] | None,
    tag: list[str] | None,
    due_before: str | None,
    due_after: str | None,
    q: str | None,
    list_id: str | None = None,
    parent_id: str | None = None,
) -> TaskFilter:
    return TaskFilter(
        completed=completed,
        priorities=_priorities(priority),
        tags=_tags(tag),
        due_before=_moment("due_before", due_before),
        due_after=_moment("due_after", due_after),
        text=_text(q),
        list_id=_list_id(list_id),
        parent_id=_parent_id(parent_id),
    )


def next_page_link(path: str, query: Iterable[tuple[str, str]], cursor: str) -> str:
    """The same request with the next cursor: filters, sort and limit carried over."""
    kept = [(name, value) for name, value in query if name != "cursor"]
    return f'<{path}?{urlencode([*kept, ("cursor", cursor)])}>; rel="next"'
