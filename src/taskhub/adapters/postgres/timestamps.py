"""Timestamps between PostgreSQL and the driver pools: as ISO 8601 text, read by
`datetime.fromisoformat`.

asyncpg decodes a binary `timestamptz` by building a `timedelta` and adding it to its epoch. A
page of 51 tasks carries 102 of them (`created_at` and `updated_at`): 40 of the 93 us the driver
spent reading the page. `datetime.fromisoformat` reads PostgreSQL's ISO text in a fifth of the
time; the page now costs the driver 63 us, and PostgreSQL 11 us more (it writes text instead of
binary). Served, list-50 answers 7-8% more requests per second (bench/README.md).

The text is ISO 8601 only under `DateStyle` ISO, and comes in UTC (`+00`, which gives the same
`timezone.utc` asyncpg's decoder gives) only under `TimeZone` UTC: `SESSION_SETTINGS` pins both
for every connection (PgBouncer passes and keeps both startup parameters), whatever the
database's or the URL's defaults say. A connection whose zone is not UTC still reads the right
instant, with another offset.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

import asyncpg

SESSION_SETTINGS: Final = {"DateStyle": "ISO", "TimeZone": "UTC"}

# Python's datetime has no infinities: the ends of time, as asyncpg's binary decoder gives, but
# in UTC (its are naive, and compare with no aware datetime).
_INFINITIES: Final = {
    "infinity": datetime.max.replace(tzinfo=UTC),
    "-infinity": datetime.min.replace(tzinfo=UTC),
}


def timestamp_from_text(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        if text in _INFINITIES:
            return _INFINITIES[text]
        raise


def timestamp_to_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        # PostgreSQL would read it in the session's zone; asyncpg's binary encoder in the
        # machine's. Every timestamp taskhub stores carries its offset: refuse rather than guess.
        raise ValueError("a timestamptz parameter must carry a UTC offset")
    return moment.isoformat()


async def read_timestamps_as_text(connection: asyncpg.Connection) -> None:
    """The pools' `init`: run once on every new connection."""
    await connection.set_type_codec(
        "timestamptz",
        schema="pg_catalog",
        encoder=timestamp_to_text,
        decoder=timestamp_from_text,
        format="text",
    )
