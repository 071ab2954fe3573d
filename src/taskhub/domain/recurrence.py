"""Repeating tasks: RFC 5545 recurrence rules, read, checked, written back in one canonical form,
and evaluated in the task's time zone.

A rule is parsed here (only the parts taskhub allows, each with its range) and evaluated by
python-dateutil's `rrule`, a maintained RFC 5545 implementation. Occurrences are wall-clock
times in the task's zone, counted from the rule's start (the due date when the rule was set),
then converted to UTC: a daily 09:00 in Europe/Paris is 07:00Z in summer and 08:00Z in winter.
A local time that does not exist (the hour skipped when clocks spring forward) is read with the
UTC offset from before the gap, and an ambiguous one (the hour repeated when they fall back) is
the first of its two instants, as RFC 5545 section 3.3.5 says; Python's `fold=0` is that reading.

A rule's occurrences are those within `HORIZON_YEARS` of its start. dateutil, asked for the next
occurrence of a rule that has none, walks its calendar up to the year 9999 before it gives up
(seconds of CPU for a daily rule); here the search runs on dates moved by whole 400-year
Gregorian cycles (which repeat weekdays and leap years exactly) close to that end, so that it
stops at most 400 years past the horizon. Rules no day can match are refused before any search,
and the next occurrence of a rule without COUNT is looked for from a start moved to near the
current one (`Rule._restart`), so that its cost does not grow with the task's age.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from dateutil import rrule as rfc5545

RECURRENCE_MAX_LENGTH: Final = 256
INTERVAL_MAX: Final = 1000
COUNT_MAX: Final = 1000
HORIZON_YEARS: Final = 100

FREQUENCIES: Final = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
WEEKDAYS: Final = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# The parts in the order the canonical form writes them.
PARTS: Final = ("FREQ", "INTERVAL", "BYMONTH", "BYMONTHDAY", "BYDAY", "BYSETPOS", "WKST", "COUNT", "UNTIL")

NO_OCCURRENCE: Final = f"has no occurrence from due_at on (within {HORIZON_YEARS} years)"
_LONGEST_MONTH: Final = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_CYCLE_YEARS: Final = 400  # the Gregorian calendar repeats itself, weekdays included, every 400 years
_LAST_YEAR: Final = datetime.max.year
_INTEGER = re.compile(r"[+-]?[0-9]{1,4}")
_DAY = re.compile(r"([+-]?[0-9]{1,2})?(MO|TU|WE|TH|FR|SA|SU)")
_UNTIL_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_UNTIL_UTC = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z")


class InvalidRule(ValueError):
    """A recurrence rule taskhub does not accept; the message says why, for the client."""


@dataclass(frozen=True, slots=True)
class Rule:
    """A parsed recurrence rule: every part with its value, defaults left out."""

    freq: str
    interval: int = 1
    by_month: tuple[int, ...] = ()
    by_month_day: tuple[int, ...] = ()
    by_day: tuple[tuple[int | None, int], ...] = ()  # (ordinal or None, weekday: 0 = Monday)
    by_set_pos: tuple[int, ...] = ()
    wkst: int = 0
    count: int | None = None
    until: str | None = None  # as sent: a DATE (YYYYMMDD) or a UTC DATE-TIME (YYYYMMDDTHHMMSSZ)

    @classmethod
    def parse(cls, text: str) -> Rule:
        """The rule `text` states, case-insensitively; InvalidRule saying what is wrong."""
        if len(text) > RECURRENCE_MAX_LENGTH:
            raise InvalidRule(f"must be at most {RECURRENCE_MAX_LENGTH} characters")
        if not text.isascii():
            # str.upper() turns some other letters into ASCII ones (the dotless i into "I").
            raise InvalidRule("must be made of ASCII characters")
        if text.upper().startswith("RRULE:"):
            raise InvalidRule("must be the rule's value, without the RRULE: prefix")
        values: dict[str, str] = {}
        for part in text.upper().split(";"):
            name, equals, value = part.partition("=")
            if not equals or not value:
                raise InvalidRule(f"must be NAME=VALUE parts separated by ';' (not {part[:20]!r})")
            if name not in PARTS:
                raise InvalidRule(f"{name[:20]} is not a part taskhub accepts (allowed: {', '.join(PARTS)})")
            if name in values:
                raise InvalidRule(f"{name} must appear once")
            values[name] = value
        if "FREQ" not in values:
            raise InvalidRule("needs FREQ")
        rule = cls(
            freq=_frequency(values["FREQ"]),
            interval=_number(values, "INTERVAL", 1, INTERVAL_MAX, default=None) or 1,
            by_month=_numbers(values, "BYMONTH", 1, 12, signed=False),
            by_month_day=_numbers(values, "BYMONTHDAY", 1, 31, signed=True),
            by_day=_days(values.get("BYDAY")),
            by_set_pos=_numbers(values, "BYSETPOS", 1, 366, signed=True),
            wkst=_weekday(values.get("WKST", "MO"), "WKST"),
            count=_number(values, "COUNT", 1, COUNT_MAX, default=None),
            until=_until(values.get("UNTIL")),
        )
        rule._check_combinations()
        return rule

    def _check_combinations(self) -> None:
        # RFC 5545 section 3.3.10: what each frequency allows, and what goes together.
        if self.count is not None and self.until is not None:
            raise InvalidRule("must not have both COUNT and UNTIL")
        if self.freq == "WEEKLY" and self.by_month_day:
            raise InvalidRule("BYMONTHDAY does not go with FREQ=WEEKLY")
        if self.freq in ("DAILY", "WEEKLY") and any(ordinal is not None for ordinal, _ in self.by_day):
            raise InvalidRule("BYDAY with a number (such as 1MO) needs FREQ=MONTHLY or FREQ=YEARLY")
        # A number counts within the month with FREQ=MONTHLY, and with FREQ=YEARLY and BYMONTH.
        if (self.freq == "MONTHLY" or (self.freq == "YEARLY" and self.by_month)) and any(
            abs(ordinal or 0) > 5 for ordinal, _ in self.by_day
        ):
            raise InvalidRule("a BYDAY number must be between -5 and 5 when it counts within a month")
        if self.by_set_pos and not (self.by_month or self.by_month_day or self.by_day):
            raise InvalidRule("BYSETPOS needs another BY part (BYDAY, BYMONTHDAY or BYMONTH)")
        self._check_some_day_matches()

    def _check_some_day_matches(self) -> None:
        """Refuse, without a search, rules that no calendar day can match (30 February) and
        BYSETPOS positions past the largest set a period of the rule can hold. A search would
        find no occurrence either, but only after walking centuries, and each position it cannot
        reach costs every period it walks."""
        months = self.by_month or tuple(range(1, 13))
        if self.by_month_day and not any(
            abs(day) <= _LONGEST_MONTH[month - 1] for month in months for day in self.by_month_day
        ):
            raise InvalidRule(NO_OCCURRENCE)
        largest = self._largest_set()
        if any(abs(position) > largest for position in self.by_set_pos):
            raise InvalidRule(f"BYSETPOS must be between -{largest} and {largest} for this rule")

    def _largest_set(self) -> int:
        """The most days one period of the rule (a day, a week, a month, a year) can select
        before BYSETPOS picks among them."""
        plain = sum(1 for ordinal, _ in self.by_day if ordinal is None)
        numbered = len(self.by_day) - plain
        if self.freq == "DAILY":
            return 1
        if self.freq == "WEEKLY":
            return max(1, plain)
        months = len(self.by_month) if self.freq == "YEARLY" and self.by_month else 1
        if self.freq == "YEARLY" and not self.by_month:
            months = 12 if self.by_month_day else 1
        if self.by_month_day:
            return len(self.by_month_day) * months
        if self.by_day:
            weeks = 5 if self.freq == "MONTHLY" or self.by_month else 53
            return (plain * weeks + numbered) * months
        return months

    def text(self) -> str:
        """The canonical form: upper case, parts in one order, list values sorted without
        duplicates, defaults (INTERVAL=1, WKST=MO) left out. Never longer than what was parsed."""
        parts = [f"FREQ={self.freq}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.by_month:
            parts.append("BYMONTH=" + ",".join(map(str, self.by_month)))
        if self.by_month_day:
            parts.append("BYMONTHDAY=" + ",".join(map(str, self.by_month_day)))
        if self.by_day:
            days = (f"{'' if n is None else n}{WEEKDAYS[day]}" for n, day in self.by_day)
            parts.append("BYDAY=" + ",".join(days))
        if self.by_set_pos:
            parts.append("BYSETPOS=" + ",".join(map(str, self.by_set_pos)))
        if self.wkst != 0:
            parts.append(f"WKST={WEEKDAYS[self.wkst]}")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        if self.until is not None:
            parts.append(f"UNTIL={self.until}")
        return ";".join(parts)

    def _until_instant(self, zone: ZoneInfo) -> datetime | None:
        """UNTIL as an instant (UTC): a DATE is the end of that day in `zone`. Compared with
        each occurrence's instant, not its wall-clock time, so that an hour a daylight-saving
        change repeats or skips does not move the limit."""
        if self.until is None:
            return None
        moment = _until_moment(self.until)
        if moment.tzinfo is None:
            return _instant(moment, zone)  # None past the calendar's end: no limit in practice
        return moment

    def _restart(self, start: datetime, point: datetime) -> tuple[datetime, dict[str, Any]]:
        """A later start from which the rule gives the same occurrences from `point` on, with the
        defaults RFC 5545 takes from the start stated outright, so that finding the next
        occurrence walks from near `point` rather than from the rule's start. Whole periods of
        INTERVAL are skipped, one short of `point`'s, so the phase of every period is kept.
        A rule with COUNT is not restarted: its occurrences are counted from its start."""
        if self.count is not None:
            return start, {}
        step = self.interval
        days = (point.date() - start.date()).days
        if self.freq == "DAILY":
            periods = days // step - 1
            return (start + timedelta(days=periods * step), {}) if periods > 0 else (start, {})
        if self.freq == "WEEKLY":
            periods = days // 7 // step - 1
            return (start + timedelta(weeks=periods * step), {}) if periods > 0 else (start, {})
        if self.freq == "MONTHLY":
            periods = ((point.year - start.year) * 12 + point.month - start.month) // step - 1
            if periods <= 0:
                return start, {}
            month = start.month - 1 + periods * step
            later = start.replace(year=start.year + month // 12, month=month % 12 + 1, day=1)
            day: dict[str, Any] = {} if self.by_month_day or self.by_day else {"bymonthday": (start.day,)}
            return later, day
        periods = (point.year - start.year) // step - 1
        if periods <= 0:
            return start, {}
        later = start.replace(year=start.year + periods * step, month=1, day=1)
        defaults: dict[str, Any] = {}
        if not (self.by_month_day or self.by_day):
            defaults = {"bymonth": self.by_month or (start.month,), "bymonthday": (start.day,)}
        return later, defaults

    def _occurrences(
        self, start: datetime, shift: int, last: datetime, defaults: dict[str, Any]
    ) -> rfc5545.rrule:
        """The rule's wall-clock occurrences from `start` to `last` (local, naive), every date
        moved `shift` years later. UNTIL is left to the caller (it is an instant)."""
        weekdays = tuple(
            rfc5545.weekdays[day] if ordinal is None else rfc5545.weekdays[day](ordinal)
            for ordinal, day in self.by_day
        )
        parts: dict[str, Any] = {
            "bymonth": self.by_month or None,
            "bymonthday": self.by_month_day or None,
            "byweekday": weekdays or None,
            "bysetpos": self.by_set_pos or None,
        }
        return rfc5545.rrule(
            getattr(rfc5545, self.freq),
            dtstart=start.replace(year=start.year + shift),
            interval=self.interval,
            wkst=self.wkst,
            count=self.count,
            # dateutil refuses COUNT with UNTIL (RFC 5545 does too): a rule with COUNT ends by it,
            # and the caller stops at the horizon.
            until=last.replace(year=last.year + shift)
            if self.count is None and last.year + shift <= _LAST_YEAR
            else None,
            cache=False,
            **(parts | defaults),
        )

    def first(self, start: datetime, zone_name: str | None) -> datetime | None:
        """The rule's first occurrence (UTC) counted from `start` (UTC), the start itself if it
        is one; None if it has none within the horizon."""
        return self._search(start, zone_name, after=None)

    def next(self, start: datetime, zone_name: str | None, current: datetime) -> datetime | None:
        """The first occurrence (UTC) strictly after `current` (UTC), counted from `start`;
        None when the rule has none left (COUNT or UNTIL reached, or the horizon)."""
        return self._search(start, zone_name, after=current)

    def _search(self, start: datetime, zone_name: str | None, *, after: datetime | None) -> datetime | None:
        zone = ZoneInfo(zone_name or "UTC")
        try:
            local_start = _wall_clock(start, zone)
            point = local_start if after is None else max(_wall_clock(after, zone), local_start)
        except OverflowError:
            return None  # a due date whose wall-clock time there falls outside the calendar
        horizon = _later(local_start, timedelta(days=365 * HORIZON_YEARS + HORIZON_YEARS // 4))
        if point > horizon:
            return None
        until = self._until_instant(zone)
        shift = _shift(local_start.year)
        restart, defaults = self._restart(local_start, point)
        occurrences = self._occurrences(restart, shift, horizon, defaults)
        try:
            for candidate in occurrences.xafter(point.replace(year=point.year + shift), inc=after is None):
                if candidate.replace(year=candidate.year - shift) > horizon:
                    return None
                found = _instant(candidate.replace(year=candidate.year - shift), zone)
                if found is None or (until is not None and found > until):
                    return None
                # A later wall-clock time can be the same instant or an earlier one (a day a
                # zone skipped, an hour read before its gap): the next occurrence is later.
                if after is None or found > after:
                    return found
        except (ArithmeticError, IndexError, ValueError):
            # dateutil failing on a rule the checks above let through: no occurrence, never a 500.
            return None
        return None


def canonical(text: str) -> str:
    """`text` in canonical form; InvalidRule when it is not a rule taskhub accepts."""
    return Rule.parse(text).text()


def _later(moment: datetime, span: timedelta) -> datetime:
    try:
        return moment + span
    except OverflowError:
        return datetime.max


def _wall_clock(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None, fold=0)


def _instant(local: datetime, zone: ZoneInfo) -> datetime | None:
    # fold=0: a nonexistent time with the offset before the gap, an ambiguous one the first.
    try:
        return local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    except OverflowError:
        return None


def _shift(year: int) -> int:
    """Whole Gregorian cycles that move a rule's start (`year`) to within 400 years below the
    last year its horizon may reach, so that dateutil's own end (year 9999), where a search for
    an occurrence that never comes stops, is at most 400 years past the horizon."""
    room = _LAST_YEAR - HORIZON_YEARS - year
    return max(0, room // _CYCLE_YEARS) * _CYCLE_YEARS


def _frequency(value: str) -> str:
    if value not in FREQUENCIES:
        raise InvalidRule(f"FREQ must be one of {', '.join(FREQUENCIES)}")
    return value


def _integer(name: str, text: str, low: int, high: int, *, signed: bool) -> int:
    if _INTEGER.fullmatch(text) is None or (not signed and text[0] in "+-"):
        raise InvalidRule(f"{name} must be made of whole numbers")
    number = int(text)
    if not low <= abs(number) <= high or (not signed and number < 0):
        bounds = f"{low}..{high}" if not signed else f"{low}..{high} or -{high}..-{low}"
        raise InvalidRule(f"{name} must be {bounds}")
    return number


def _number(values: dict[str, str], name: str, low: int, high: int, *, default: int | None) -> int | None:
    text = values.get(name)
    return default if text is None else _integer(name, text, low, high, signed=False)


def _numbers(values: dict[str, str], name: str, low: int, high: int, *, signed: bool) -> tuple[int, ...]:
    text = values.get(name)
    if text is None:
        return ()
    numbers = {_integer(name, item, low, high, signed=signed) for item in text.split(",")}
    # Positive ones first, each group in calendar order (1, 2, ..., then -1, -2, ...).
    return tuple(sorted(numbers, key=lambda n: (n < 0, abs(n))))


def _weekday(value: str, name: str) -> int:
    if value not in WEEKDAYS:
        raise InvalidRule(f"{name} must be one of {', '.join(WEEKDAYS)}")
    return WEEKDAYS.index(value)


def _days(text: str | None) -> tuple[tuple[int | None, int], ...]:
    if text is None:
        return ()
    days: set[tuple[int | None, int]] = set()
    for item in text.split(","):
        match = _DAY.fullmatch(item)
        if match is None:
            raise InvalidRule(
                "BYDAY must list weekdays (MO..SU), each optionally numbered, as in 1MO or -1FR"
            )
        ordinal = (
            None if match.group(1) is None else _integer("a BYDAY number", match.group(1), 1, 53, signed=True)
        )
        days.add((ordinal, WEEKDAYS.index(match.group(2))))
    return tuple(sorted(days, key=lambda d: (d[1], d[0] is not None, (d[0] or 0) < 0, abs(d[0] or 0))))


def _until_moment(value: str) -> datetime:
    """UNTIL's value as a time: a UTC date-time as such, a DATE as the last second of that
    (local) day, naive. ValueError if it is neither, or names a day that does not exist."""
    if (date := _UNTIL_DATE.fullmatch(value)) is not None:
        year, month, day = (int(g) for g in date.groups())
        return datetime(year, month, day, 23, 59, 59)
    if (instant := _UNTIL_UTC.fullmatch(value)) is not None:
        year, month, day, hour, minute, second = (int(g) for g in instant.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    raise ValueError(value)


def _until(value: str | None) -> str | None:
    if value is None:
        return None
    if _UNTIL_DATE.fullmatch(value) is None and _UNTIL_UTC.fullmatch(value) is None:
        raise InvalidRule("UNTIL must be a date (20261231) or a UTC date-time (20261231T170000Z)")
    try:
        _until_moment(value)
    except ValueError:
        raise InvalidRule("UNTIL must be a date and time that exist") from None
    return value


__all__ = [
    "COUNT_MAX",
    "HORIZON_YEARS",
    "INTERVAL_MAX",
    "NO_OCCURRENCE",
    "RECURRENCE_MAX_LENGTH",
    "InvalidRule",
    "Rule",
    "canonical",
]
