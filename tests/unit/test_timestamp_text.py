"""Timestamps as PostgreSQL writes them in text under DateStyle ISO (adapters/postgres/timestamps.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from taskhub.adapters.postgres.timestamps import timestamp_from_text, timestamp_to_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-26 18:02:34.445699+00", datetime(2026, 11, 26, 18, 2, 34, 445699, tzinfo=UTC)),
        # PostgreSQL drops the fraction's trailing zeros, and a fraction of zero altogether.
        ("2026-11-26 18:02:34.4+00", datetime(2026, 11, 26, 18, 2, 34, 400000, tzinfo=UTC)),
        ("2026-11-26 18:02:34+00", datetime(2026, 11, 26, 18, 2, 34, tzinfo=UTC)),
        ("0001-01-01 00:00:00+00", datetime(1, 1, 1, tzinfo=UTC)),
    ],
)
def test_postgresql_text_in_utc_reads_as_the_same_instant(text: str, expected: datetime) -> None:
    assert timestamp_from_text(text) == expected


def test_a_utc_timestamp_carries_the_utc_singleton_as_the_binary_decoder_gives() -> None:
    assert timestamp_from_text("2026-11-26 18:02:34+00").tzinfo is UTC


def test_another_offset_still_reads_as_the_right_instant() -> None:
    moment = timestamp_from_text("2026-11-26 19:02:34+01")
    assert moment == datetime(2026, 11, 26, 18, 2, 34, tzinfo=UTC)
    assert moment.utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("infinity", datetime.max.replace(tzinfo=UTC)), ("-infinity", datetime.min.replace(tzinfo=UTC))],
)
def test_infinities_read_as_the_ends_of_time(text: str, expected: datetime) -> None:
    assert timestamp_from_text(text) == expected


def test_text_that_is_not_an_iso_timestamp_is_refused() -> None:
    # What DateStyle SQL would give; the pools pin ISO, so this is a misconfiguration.
    with pytest.raises(ValueError, match="Invalid isoformat"):
        timestamp_from_text("11/26/2026 18:02:34.445699 UTC")


def test_a_parameter_is_written_with_its_offset() -> None:
    moment = datetime(2026, 11, 26, 18, 2, 34, 5, tzinfo=timezone(timedelta(hours=-3, minutes=-30)))
    assert timestamp_to_text(moment) == "2026-11-26T18:02:34.000005-03:30"


def test_a_parameter_without_offset_is_refused_rather_than_read_in_some_zone() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        timestamp_to_text(datetime(2026, 11, 26, 18, 2, 34))
