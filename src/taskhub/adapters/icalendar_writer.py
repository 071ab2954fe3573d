"""The iCalendar export (RFC 5545), written by `icalendar`, a maintained implementation: one VTODO
per task, and a VTIMEZONE for each zone a due date is shown in.

| task | VTODO |
| --- | --- |
| `id` | `UID` |
| `title`, `description` | `SUMMARY`, `DESCRIPTION` (when not empty) |
| `due_at`, `time_zone` | `DUE`: the wall-clock time with `TZID` when the task has a zone, UTC otherwise |
| `completed`, `completed_at` | `STATUS` (`COMPLETED` or `NEEDS-ACTION`), `COMPLETED` |
| `priority` | `PRIORITY`: 1 high, 5 medium, 9 low; none: left out |
| `tags` | `CATEGORIES` |
| `recurrence` | `RRULE`, as it stands from the current `DUE` (below) |
| `parent_id` | `RELATED-TO` (its default relation, `PARENT`) |
| `created_at`, `updated_at` | `CREATED`, `LAST-MODIFIED` |
| `version` | `SEQUENCE`: version - 1 (a calendar's first is 0) |

A calendar expands an `RRULE` from the VTODO's `DUE`, the task's current occurrence; taskhub
counts a rule from where it started (`recurrence_start`, domain/recurrence.py). Expanded from an
occurrence of the rule, the rule gives the same later occurrences, but two parts would read
otherwise, and are written as the instant they stand for:

- `COUNT`: counted from `DUE`, it would count occurrences already past; and when `DUE` is not an
  occurrence of the rule (a due date the rule does not match, before the first completion), RFC
  5545 leaves it undefined whether `DUE` counts (taskhub: it does not), and readers differ.
  Written: `UNTIL` the rule's last occurrence.
- `UNTIL` as a date (taskhub: the end of that day in the task's zone); RFC 5545 wants a UTC time
  when `DUE` is a time. Written: that instant.

A repeating task's occurrences are all at the wall-clock time of its start, even on a day that
time does not exist (02:30 on the day clocks spring forward), which taskhub reads with the offset
from before the change, as RFC 5545 does: `DUE` is written at that wall-clock time, so that the
calendar expands the rule from the same time of day.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any, Final
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from icalendar import Calendar, Timezone, Todo, vRecur

from taskhub.domain.model import Priority, Task
from taskhub.ports.export import ZoneSpan

PRODUCT: Final = "-//taskhub//taskhub export//EN"
_PRIORITIES: Final = {Priority.HIGH: 1, Priority.MEDIUM: 5, Priority.LOW: 9}
# What closes a calendar, as the library writes it: the text after its BEGIN line.
_CLOSING: Final = bytes(Calendar().to_ical()).partition(b"\r\n")[2]
_UTC: Final = ZoneInfo("UTC")


class IcalendarWriter:
    def opening(self, zones: Sequence[ZoneSpan]) -> bytes:
        calendar = Calendar()
        calendar.add("PRODID", PRODUCT)
        calendar.add("VERSION", "2.0")
        # The calendar's properties, then a VTIMEZONE per zone: what the library writes for a
        # calendar holding them, with each VTIMEZONE made once per span (_vtimezone).
        head = bytes(calendar.to_ical()).removesuffix(_CLOSING)
        return head + b"".join(_vtimezone(zone.name, *_covered(zone)) for zone in zones)

    def todo(self, task: Task, stamp: datetime) -> bytes:
        content = task.content
        todo = Todo()
        todo.add("UID", str(task.id))
        todo.add("DTSTAMP", stamp)
        todo.add("SUMMARY", content.title)
        if content.description:
            todo.add("DESCRIPTION", content.description)
        if content.due_at is not None:
            todo.add("DUE", _due(task, content.due_at))
        todo.add("STATUS", "COMPLETED" if content.completed else "NEEDS-ACTION")
        if task.completed_at is not None:
            todo.add("COMPLETED", task.completed_at)
        if content.priority in _PRIORITIES:
            todo.add("PRIORITY", _PRIORITIES[content.priority])
        if content.tags:
            todo.add("CATEGORIES", list(content.tags))
        if content.recurrence is not None:
            todo.add("RRULE", _rule(task, content.recurrence))
        if content.parent_id is not None:
            todo.add("RELATED-TO", str(content.parent_id))
        todo.add("CREATED", task.created_at)
        todo.add("LAST-MODIFIED", task.updated_at)
        todo.add("SEQUENCE", task.version - 1)
        return bytes(todo.to_ical())

    def closing(self) -> bytes:
        return _CLOSING


# The last year a VTIMEZONE spells out transition by transition. Each year of a zone with daylight
# saving costs two entries: to year 9999 that was 268 KB and 0.7 s per zone, a few hundred zones
# (one task each) enough to hold a worker for minutes. Past it a calendar keeps the zone's last
# rule, which is what tzdata itself does past 2037.
LAST_SPELLED_YEAR: Final = 2100


@functools.lru_cache(maxsize=1024)
def _vtimezone(name: str, first: date, last: date) -> bytes:
    """A zone's VTIMEZONE over a span: tens of milliseconds to make for a zone with daylight
    saving over a century, and the same for every export that needs it."""
    return bytes(Timezone.from_tzid(name, first_date=first, last_date=last).to_ical())


def _covered(zone: ZoneSpan) -> tuple[date, date]:
    """The years a VTIMEZONE spells out: the library's default span (1970 to 2038), widened to
    the zone's due dates and a year past the last (what a repeating task soon reaches), up to
    `LAST_SPELLED_YEAR`."""
    first = min(Timezone.DEFAULT_FIRST_DATE, zone.first_due.date())
    last_year = min(zone.last_due.year + 1, LAST_SPELLED_YEAR + 1)
    last = max(Timezone.DEFAULT_LAST_DATE, date(last_year, 1, 1))
    return first, last


def _zone(task: Task) -> ZoneInfo:
    return ZoneInfo(task.content.time_zone) if task.content.time_zone else _UTC


def _due(task: Task, due: datetime) -> datetime:
    """`due` as the wall-clock time of the task's zone (UTC without one); a repeating task's at
    its rule's time of day, which is the same instant."""
    if task.content.time_zone is None:
        return due
    zone = _zone(task)
    try:
        local = due.astimezone(zone)
        if task.recurrence_start is not None:
            at_rule_time = datetime.combine(local.date(), task.recurrence_start.astimezone(zone).time())
            if _utc(at_rule_time, zone) == due:
                return at_rule_time.replace(tzinfo=zone)
    except OverflowError:
        return due  # the first or last hours of the calendar: no local time to show
    return local


def _rule(task: Task, recurrence: str) -> vRecur:
    rule: vRecur = vRecur.from_ical(recurrence)
    zone = _zone(task)
    until: list[Any] = rule.get("UNTIL", [])
    if until and not isinstance(until[0], datetime):
        # taskhub's UNTIL date: up to the last second of that day in the task's zone.
        end_of_day = _utc(datetime.combine(until[0], time(23, 59, 59)), zone)
        rule["UNTIL"] = [until[0] if end_of_day is None else end_of_day]
    last = _last(recurrence, zone, task.recurrence_start) if "COUNT" in rule else None
    if last is not None:
        del rule["COUNT"]
        rule["UNTIL"] = [last]
    return rule


def _last(recurrence: str, zone: ZoneInfo, start: datetime | None) -> datetime | None:
    """The instant of the last occurrence of a rule with COUNT, counted from `start`."""
    if start is None:
        return None
    occurrences = rrulestr(recurrence, dtstart=start.astimezone(zone).replace(tzinfo=None), cache=False)
    last = deque(occurrences, maxlen=1)
    return _utc(last[0], zone) if last else None


def _utc(wall_clock: datetime, zone: ZoneInfo) -> datetime | None:
    """A wall-clock time in `zone` as an instant, read as taskhub reads one (`fold=0`: a time a
    change skips with the offset from before it, a repeated one the first); None past the
    calendar's ends."""
    try:
        return wall_clock.replace(tzinfo=zone, fold=0).astimezone(UTC)
    except OverflowError:
        return None
