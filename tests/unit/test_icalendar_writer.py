"""The iCalendar writer's VTIMEZONEs: spelled out up to LAST_SPELLED_YEAR however far a due date
is, so a far-future task cannot make an export megabytes long or hold a worker for seconds."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from taskhub.adapters.icalendar_writer import LAST_SPELLED_YEAR, IcalendarWriter
from taskhub.ports.export import ZoneSpan


def _years(text: bytes) -> set[int]:
    """The years of every transition a VTIMEZONE lists (its lines unfolded)."""
    unfolded = text.replace(b"\r\n ", b"")
    return {int(year) for year in re.findall(rb"(\d{4})\d{4}T\d{6}", unfolded)}


def test_a_zone_used_by_a_task_due_in_year_9999_is_spelled_out_to_the_last_spelled_year() -> None:
    zone = ZoneSpan("Europe/Berlin", datetime(2026, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC))
    opening = IcalendarWriter().opening([zone])
    assert b"TZID:Europe/Berlin" in opening
    assert max(_years(opening)) <= LAST_SPELLED_YEAR
    assert len(opening) < 32_000


def test_a_zone_used_near_today_is_spelled_out_past_its_last_due_date() -> None:
    zone = ZoneSpan("America/New_York", datetime(2026, 1, 1, tzinfo=UTC), datetime(2050, 6, 1, tzinfo=UTC))
    assert max(_years(IcalendarWriter().opening([zone]))) >= 2050
