"""Recurrence rules (domain/recurrence.py): what is accepted and in which canonical form, what is
refused and why, and the occurrences of rules in zones across daylight-saving changes, against
expectations worked out by hand from each zone's offsets."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from taskhub.domain.recurrence import HORIZON_YEARS, NO_OCCURRENCE, RECURRENCE_MAX_LENGTH, InvalidRule, Rule


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def local(text: str, zone: str) -> datetime:
    """A wall-clock time in `zone` read as RFC 5545 reads it (fold=0), in UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def occurrences(rule: str, start: datetime, zone: str | None, count: int) -> list[datetime | None]:
    """The start, then the next `count - 1` occurrences, each after the one before (as repeated
    completions move a task), None once the rule has none left."""
    parsed = Rule.parse(rule)
    found: list[datetime | None] = [start]
    for _ in range(count - 1):
        current = found[-1]
        found.append(None if current is None else parsed.next(start, zone, current))
    return found


# --- the canonical form -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "canonical"),
    [
        ("FREQ=DAILY", "FREQ=DAILY"),
        ("freq=weekly;byday=we,mo", "FREQ=WEEKLY;BYDAY=MO,WE"),
        ("BYDAY=MO;FREQ=WEEKLY;INTERVAL=1;WKST=MO", "FREQ=WEEKLY;BYDAY=MO"),
        ("FREQ=WEEKLY;INTERVAL=2;WKST=SU;BYDAY=TU,TU,SU", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=SU"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;BYDAY=-1FR"),
        ("FREQ=MONTHLY;BYDAY=+1MO,-1MO,2MO", "FREQ=MONTHLY;BYDAY=1MO,2MO,-1MO"),
        ("FREQ=MONTHLY;BYMONTHDAY=-1,31,1", "FREQ=MONTHLY;BYMONTHDAY=1,31,-1"),
        ("FREQ=YEARLY;BYMONTH=12,3;BYMONTHDAY=25", "FREQ=YEARLY;BYMONTH=3,12;BYMONTHDAY=25"),
        (
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
            "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        ),
        ("FREQ=DAILY;INTERVAL=03;COUNT=010", "FREQ=DAILY;INTERVAL=3;COUNT=10"),
        ("FREQ=DAILY;UNTIL=20261231t170000z", "FREQ=DAILY;UNTIL=20261231T170000Z"),
        ("FREQ=DAILY;UNTIL=20261231", "FREQ=DAILY;UNTIL=20261231"),
    ],
)
def test_a_rule_is_returned_in_canonical_form(sent: str, canonical: str) -> None:
    assert Rule.parse(sent).text() == canonical
    assert Rule.parse(canonical).text() == canonical
    assert len(canonical) <= len(sent)


# --- what is refused ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "why"),
    [
        ("", "NAME=VALUE"),
        ("FREQ=DAILY;", "NAME=VALUE"),
        ("FREQ", "NAME=VALUE"),
        ("RRULE:FREQ=DAILY", "without the RRULE: prefix"),
        ("INTERVAL=2", "needs FREQ"),
        ("FREQ=HOURLY", "FREQ must be one of"),
        ("FREQ=SECONDLY", "FREQ must be one of"),
        ("FREQ=DAILY;BYHOUR=9", "BYHOUR is not a part"),
        ("FREQ=YEARLY;BYWEEKNO=20", "BYWEEKNO is not a part"),
        ("FREQ=DAILY;X-NAME=1", "X-NAME is not a part"),
        ("FREQ=DAILY;FREQ=WEEKLY", "FREQ must appear once"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL must be 1..1000"),
        ("FREQ=DAILY;INTERVAL=1001", "INTERVAL must be 1..1000"),
        ("FREQ=DAILY;INTERVAL=-2", "INTERVAL must be made of whole numbers"),
        ("FREQ=DAILY;INTERVAL=two", "INTERVAL must be made of whole numbers"),
        ("FREQ=DAILY;COUNT=0", "COUNT must be 1..1000"),
        ("FREQ=DAILY;COUNT=1001", "COUNT must be 1..1000"),
        ("FREQ=MONTHLY;BYMONTHDAY=0", "BYMONTHDAY must be"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY must be"),
        ("FREQ=YEARLY;BYMONTH=13", "BYMONTH must be 1..12"),
        ("FREQ=YEARLY;BYMONTH=-1", "BYMONTH must be made of whole numbers"),
        ("FREQ=WEEKLY;BYDAY=MON", "BYDAY must list weekdays"),
        ("FREQ=MONTHLY;BYDAY=0MO", "a BYDAY number must be"),
        ("FREQ=MONTHLY;BYDAY=6MO", "between -5 and 5"),
        ("FREQ=WEEKLY;BYDAY=1MO", "needs FREQ=MONTHLY or FREQ=YEARLY"),
        ("FREQ=WEEKLY;BYMONTHDAY=1", "BYMONTHDAY does not go with FREQ=WEEKLY"),
        ("FREQ=MONTHLY;BYSETPOS=1", "BYSETPOS needs another BY part"),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=0", "BYSETPOS must be"),
        ("FREQ=DAILY;WKST=XX", "WKST must be one of"),
        ("FREQ=DAILY;COUNT=2;UNTIL=20261231", "must not have both COUNT and UNTIL"),
        ("FREQ=DAILY;UNTIL=2026-12-31", "UNTIL must be a date"),
        ("FREQ=DAILY;UNTIL=20261231T170000", "UNTIL must be a date"),
        ("FREQ=DAILY;UNTIL=20260230", "UNTIL must be a date and time that exist"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", NO_OCCURRENCE),
        ("FREQ=DAILY;BYMONTH=4,6,9,11;BYMONTHDAY=31,-31", NO_OCCURRENCE),
        ("FREQ=DAILY;BYMONTHDAY=1;BYSETPOS=2", "BYSETPOS must be between -1 and 1"),
        ("FREQ=DAILY;BYMONTHDAY=1;BYSETPOS=1,-1,2", "BYSETPOS must be between -1 and 1"),
        ("FREQ=WEEKLY;BYDAY=MO,TU;BYSETPOS=3", "BYSETPOS must be between -2 and 2"),
        ("FREQ=MONTHLY;BYMONTHDAY=1;BYSETPOS=2", "BYSETPOS must be between -1 and 1"),
        ("FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=11", "BYSETPOS must be between -10 and 10"),
        ("FREQ=YEARLY;BYMONTH=2;BYDAY=1MO;BYSETPOS=2", "BYSETPOS must be between -1 and 1"),
        ("FREQ=YEARLY;BYMONTH=12;BYDAY=20MO", "between -5 and 5 when it counts within a month"),
        ("FREQ=DA\u0131LY", "ASCII"),
        ("FREQ=WEEKLY;BYDAY=\u017fU", "ASCII"),
        ("FREQ=DAILY;" + "BYMONTH=1;" * 30 + "COUNT=1", "at most 256 characters"),
    ],
)
def test_a_rule_outside_what_taskhub_accepts_is_refused_saying_why(sent: str, why: str) -> None:
    with pytest.raises(InvalidRule, match=why.replace("(", r"\(").replace(")", r"\)")):
        Rule.parse(sent)


def test_a_rule_of_the_longest_length_is_accepted() -> None:
    months = "FREQ=YEARLY;BYMONTH=1" + ",1" * 112
    rule = f"{months};COUNT=" + "5".zfill(RECURRENCE_MAX_LENGTH - len(months) - len(";COUNT="))
    assert len(rule) == RECURRENCE_MAX_LENGTH
    assert Rule.parse(rule).text() == "FREQ=YEARLY;BYMONTH=1;COUNT=5"


@pytest.mark.parametrize(
    ("rule", "start"),
    [
        # Ends before it starts.
        ("FREQ=DAILY;UNTIL=20260301T000000Z", "2026-03-01T09:00:00+00:00"),
        ("FREQ=DAILY;UNTIL=20260228", "2026-03-01T09:00:00+00:00"),
        # Every seventh day from a Monday is never a Tuesday.
        ("FREQ=DAILY;INTERVAL=7;BYDAY=TU", "2026-03-02T09:00:00+00:00"),
        # Every twelfth month from January is never February.
        ("FREQ=MONTHLY;INTERVAL=12;BYMONTH=2", "2026-01-15T09:00:00+00:00"),
        # Every fourth year from 2025 is never a leap year.
        ("FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29", "2025-02-01T09:00:00+00:00"),
        # The next one is more than the horizon away.
        ("FREQ=YEARLY;INTERVAL=200;BYMONTH=3", "2026-04-15T09:00:00+00:00"),
    ],
)
def test_a_rule_with_no_occurrence_from_its_start_has_no_first_one(rule: str, start: str) -> None:
    assert Rule.parse(rule).first(utc(start), None) is None


def test_an_occurrence_far_off_but_within_the_horizon_is_found() -> None:
    # 29 February on a Monday: 2044 is the first after 2026 (every 28 years until 2100 breaks it).
    rule = Rule.parse("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO")
    assert rule.first(utc("2026-03-01T09:00:00+00:00"), None) == utc("2044-02-29T09:00:00+00:00")
    assert HORIZON_YEARS >= 2044 - 2026


def test_the_search_still_works_in_the_last_centuries_of_the_calendar() -> None:
    rule = Rule.parse("FREQ=YEARLY")
    start = utc("9998-06-01T09:00:00+00:00")
    assert rule.next(start, None, start) == utc("9999-06-01T09:00:00+00:00")
    assert rule.next(start, None, utc("9999-06-01T09:00:00+00:00")) is None


# --- occurrences, worked out by hand --------------------------------------------------------------

# Europe/Paris: +01:00, +02:00 from 29 March 2026 02:00 to 25 October 2026 03:00.
# America/New_York: -05:00, -04:00 from 8 March 2026 02:00 to 1 November 2026 02:00.
# Australia/Lord_Howe: +10:30, +11:00 until 5 April 2026 02:00 (back to 01:30) and from 4 October
#   2026 02:00 (on to 02:30): a half-hour shift.
# Pacific/Apia: -10:00 until the end of 29 December 2011, then +14:00: 30 December 2011 never was.
TABLE = [
    # A daily 09:00 keeps its wall-clock time across both changes.
    (
        "FREQ=DAILY",
        "Europe/Paris",
        "2026-03-28T09:00:00+01:00",
        ["2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z"],
    ),
    (
        "FREQ=DAILY",
        "Europe/Paris",
        "2026-10-24T09:00:00+02:00",
        ["2026-10-24T07:00:00Z", "2026-10-25T08:00:00Z", "2026-10-26T08:00:00Z"],
    ),
    (
        "FREQ=DAILY",
        "America/New_York",
        "2026-03-07T09:00:00-05:00",
        ["2026-03-07T14:00:00Z", "2026-03-08T13:00:00Z", "2026-03-09T13:00:00Z"],
    ),
    (
        "FREQ=DAILY",
        "America/New_York",
        "2026-10-31T09:00:00-04:00",
        ["2026-10-31T13:00:00Z", "2026-11-01T14:00:00Z", "2026-11-02T14:00:00Z"],
    ),
    # 02:30 does not exist on 8 March in New York: read with the offset before the gap (-05:00).
    (
        "FREQ=DAILY",
        "America/New_York",
        "2026-03-07T02:30:00-05:00",
        ["2026-03-07T07:30:00Z", "2026-03-08T07:30:00Z", "2026-03-09T06:30:00Z"],
    ),
    # 01:30 happens twice on 1 November in New York: the first (-04:00).
    (
        "FREQ=DAILY",
        "America/New_York",
        "2026-10-31T01:30:00-04:00",
        ["2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"],
    ),
    # Lord Howe's half-hour changes: a 09:00, a 02:15 that does not exist, a 01:45 that is twice.
    (
        "FREQ=DAILY",
        "Australia/Lord_Howe",
        "2026-04-04T09:00:00+11:00",
        ["2026-04-03T22:00:00Z", "2026-04-04T22:30:00Z", "2026-04-05T22:30:00Z"],
    ),
    (
        "FREQ=DAILY",
        "Australia/Lord_Howe",
        "2026-10-03T02:15:00+10:30",
        ["2026-10-02T15:45:00Z", "2026-10-03T15:45:00Z", "2026-10-04T15:15:00Z"],
    ),
    (
        "FREQ=DAILY",
        "Australia/Lord_Howe",
        "2026-04-04T01:45:00+11:00",
        ["2026-04-03T14:45:00Z", "2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"],
    ),
    # Apia skipped 30 December 2011: its 09:00, read at -10:00, is the instant Apia called
    # 31 December 09:00, so the next occurrence after it is 1 January's.
    (
        "FREQ=DAILY",
        "Pacific/Apia",
        "2011-12-29T09:00:00-10:00",
        ["2011-12-29T19:00:00Z", "2011-12-30T19:00:00Z", "2011-12-31T19:00:00Z"],
    ),
    # A weekly Monday 09:00 in Paris across the spring change.
    (
        "FREQ=WEEKLY;BYDAY=MO",
        "Europe/Paris",
        "2026-03-23T09:00:00+01:00",
        ["2026-03-23T08:00:00Z", "2026-03-30T07:00:00Z", "2026-04-06T07:00:00Z"],
    ),
    # The 31st: months without one are skipped, never moved to the 30th or the 1st (RFC 5545).
    (
        "FREQ=MONTHLY;BYMONTHDAY=31",
        None,
        "2026-01-31T09:00:00+00:00",
        [
            "2026-01-31T09:00:00Z",
            "2026-03-31T09:00:00Z",
            "2026-05-31T09:00:00Z",
            "2026-07-31T09:00:00Z",
            "2026-08-31T09:00:00Z",
            "2026-10-31T09:00:00Z",
        ],
    ),
    # The last day of every month, in New York, across the spring change.
    (
        "FREQ=MONTHLY;BYMONTHDAY=-1",
        "America/New_York",
        "2026-01-31T18:00:00-05:00",
        ["2026-01-31T23:00:00Z", "2026-02-28T23:00:00Z", "2026-03-31T22:00:00Z"],
    ),
    # The last Friday of the month, in Paris, across the autumn change.
    (
        "FREQ=MONTHLY;BYDAY=-1FR",
        "Europe/Paris",
        "2026-09-25T17:00:00+02:00",
        ["2026-09-25T15:00:00Z", "2026-10-30T16:00:00Z", "2026-11-27T16:00:00Z"],
    ),
    # The last weekday of the month.
    (
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        None,
        "2026-01-30T09:00:00+00:00",
        ["2026-01-30T09:00:00Z", "2026-02-27T09:00:00Z", "2026-03-31T09:00:00Z", "2026-04-30T09:00:00Z"],
    ),
    # COUNT counts the first occurrence; then there is none left.
    (
        "FREQ=DAILY;COUNT=3",
        "Europe/Paris",
        "2026-03-28T09:00:00+01:00",
        ["2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z", None],
    ),
    # UNTIL as a UTC time: the last occurrence at or before it.
    (
        "FREQ=WEEKLY;UNTIL=20260315T090000Z",
        None,
        "2026-03-01T09:00:00+00:00",
        ["2026-03-01T09:00:00Z", "2026-03-08T09:00:00Z", "2026-03-15T09:00:00Z", None],
    ),
    # UNTIL as a date: the whole of that day in the task's zone.
    (
        "FREQ=DAILY;UNTIL=20260330",
        "Europe/Paris",
        "2026-03-29T23:30:00+02:00",
        ["2026-03-29T21:30:00Z", "2026-03-30T21:30:00Z", None],
    ),
    # Every other week on Monday and Wednesday.
    (
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE",
        None,
        "2026-03-02T09:00:00+00:00",
        ["2026-03-02T09:00:00Z", "2026-03-04T09:00:00Z", "2026-03-16T09:00:00Z", "2026-03-18T09:00:00Z"],
    ),
    # Every third day, across New York's spring change.
    (
        "FREQ=DAILY;INTERVAL=3",
        "America/New_York",
        "2026-03-05T08:00:00-05:00",
        ["2026-03-05T13:00:00Z", "2026-03-08T12:00:00Z", "2026-03-11T12:00:00Z"],
    ),
    # 29 February: the years without one are skipped.
    (
        "FREQ=YEARLY",
        None,
        "2024-02-29T09:00:00+00:00",
        ["2024-02-29T09:00:00Z", "2028-02-29T09:00:00Z", "2032-02-29T09:00:00Z"],
    ),
]


@pytest.mark.parametrize(("rule", "zone", "start", "expected"), TABLE)
def test_occurrences_are_wall_clock_times_in_the_tasks_zone(
    rule: str, zone: str | None, start: str, expected: list[str | None]
) -> None:
    found = occurrences(rule, utc(start), zone, len(expected))
    assert found == [None if e is None else utc(e) for e in expected]


def test_a_start_that_does_not_match_the_rule_is_followed_by_the_rules_first_occurrence() -> None:
    # Due on a Tuesday, repeating on Mondays: the next occurrence is the Monday after.
    rule = Rule.parse("FREQ=WEEKLY;BYDAY=MO")
    start = utc("2026-03-03T09:00:00+00:00")
    assert rule.first(start, None) == utc("2026-03-09T09:00:00+00:00")
    assert rule.next(start, None, start) == utc("2026-03-09T09:00:00+00:00")


def test_seconds_and_fractions_of_the_start_are_kept_to_the_second() -> None:
    rule = Rule.parse("FREQ=DAILY")
    start = utc("2026-03-01T09:00:30.5+00:00")
    assert rule.next(start, None, start) == utc("2026-03-02T09:00:30+00:00")


# --- the property: strictly later, same wall-clock time -------------------------------------------

ZONES = [
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "America/Santiago",
    "Asia/Tehran",
]


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    day=st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31)),
    wall=st.times().map(lambda t: t.replace(microsecond=0)),
    freq=st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]),
    interval=st.integers(1, 3),
)
def test_each_occurrence_is_strictly_later_and_at_the_starts_wall_clock_time(
    zone: str, day: date, wall: time, freq: str, interval: int
) -> None:
    tz = ZoneInfo(zone)
    start = datetime.combine(day, wall).replace(tzinfo=tz).astimezone(UTC)
    rule = Rule.parse(f"FREQ={freq};INTERVAL={interval}")
    local_start = start.astimezone(tz).replace(tzinfo=None)
    current = start
    for _ in range(12):
        following = rule.next(start, zone, current)
        if following is None:  # a monthly 31st or a yearly 29 February past the horizon
            break
        assert following > current
        # The wall-clock time of the start, on some day, as RFC 5545 reads it; when that time
        # does not exist there that day, the instant is what the offset before the gap gives.
        shown = following.astimezone(tz).replace(tzinfo=None)
        candidates = [shown.date() - timedelta(days=n) for n in range(3)]
        assert any(
            datetime.combine(d, local_start.time()).replace(tzinfo=tz).astimezone(UTC) == following
            for d in candidates
        ), (following, shown)
        current = following


# --- the edges a review found ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "zone"),
    [("9999-12-31T23:00:00+00:00", "Pacific/Kiritimati"), ("0001-01-01T00:00:00+00:00", "America/New_York")],
)
def test_a_due_date_whose_wall_clock_time_is_outside_the_calendar_has_no_occurrence(
    start: str, zone: str
) -> None:
    assert Rule.parse("FREQ=DAILY").first(utc(start), zone) is None


def test_until_is_an_instant_so_the_repeated_hour_before_it_still_occurs() -> None:
    # 01:30 on 1 November happens first at 05:30Z (-04:00), before UNTIL at 06:00Z.
    assert occurrences(
        "FREQ=DAILY;UNTIL=20261101T060000Z", utc("2026-10-31T05:30:00+00:00"), "America/New_York", 3
    ) == [utc("2026-10-31T05:30:00+00:00"), utc("2026-11-01T05:30:00+00:00"), None]


def test_until_is_an_instant_so_a_skipped_time_read_after_it_does_not_occur() -> None:
    # 02:30 on 8 March does not exist; read at -05:00 it is 07:30Z, after UNTIL at 07:15Z.
    assert occurrences(
        "FREQ=DAILY;UNTIL=20260308T071500Z", utc("2026-03-07T07:30:00+00:00"), "America/New_York", 2
    ) == [utc("2026-03-07T07:30:00+00:00"), None]


def test_occurrences_end_at_the_horizon_from_the_rules_start() -> None:
    rule = Rule.parse("FREQ=YEARLY")
    start = utc("2026-06-01T09:00:00+00:00")
    assert rule.next(start, None, utc("2125-06-01T09:00:00+00:00")) == utc("2126-06-01T09:00:00+00:00")
    assert rule.next(start, None, utc("2126-06-01T09:00:00+00:00")) is None


def _by_dateutil_from_the_start(rule: Rule, start: datetime, zone: str, after: datetime) -> datetime | None:
    """The oracle: dateutil walking from the rule's start, every wall-clock time converted as
    RFC 5545 reads it, the first instant strictly after `after`."""
    tz = ZoneInfo(zone)
    local_start = start.astimezone(tz).replace(tzinfo=None)
    for local_time in rrulestr(rule.text(), dtstart=local_start, cache=False):
        instant = local_time.replace(tzinfo=tz).astimezone(UTC)
        if instant > after:
            return instant
    return None


RULES = st.one_of(
    st.tuples(
        st.just("DAILY"), st.integers(1, 5), st.sampled_from(["", ";BYDAY=MO,WE,FR", ";BYMONTHDAY=1,15"])
    ),
    st.tuples(
        st.just("WEEKLY"), st.integers(1, 5), st.sampled_from(["", ";BYDAY=TU,SU", ";BYDAY=MO;BYMONTH=3,9"])
    ),
    st.tuples(
        st.just("MONTHLY"),
        st.integers(1, 5),
        st.sampled_from(
            ["", ";BYMONTHDAY=31", ";BYDAY=-1FR", ";BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", ";BYMONTHDAY=-1"]
        ),
    ),
    st.tuples(
        st.just("YEARLY"), st.integers(1, 3), st.sampled_from(["", ";BYMONTH=2;BYMONTHDAY=29", ";BYDAY=20MO"])
    ),
).map(lambda parts: f"FREQ={parts[0]};INTERVAL={parts[1]}{parts[2]}")


@settings(max_examples=150, deadline=None)
@given(
    rule=RULES,
    zone=st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe"]),
    day=st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31)),
    wall=st.times().map(lambda t: t.replace(microsecond=0)),
    later_by=st.integers(0, 365 * 60),
)
def test_the_next_occurrence_is_dateutils_walking_from_the_rules_start(
    rule: str, zone: str, day: date, wall: time, later_by: int
) -> None:
    tz = ZoneInfo(zone)
    start = datetime.combine(day, wall).replace(tzinfo=tz).astimezone(UTC)
    current = start + timedelta(days=later_by)
    parsed = Rule.parse(rule)
    assert parsed.next(start, zone, current) == _by_dateutil_from_the_start(parsed, start, zone, current)
