"""Timestamps through the driver pools, read as text (adapters/postgres/timestamps.py): the same
values asyncpg's binary codec gives, directly connected and through PgBouncer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

from taskhub.adapters.postgres.engine import PoolSettings
from taskhub.adapters.postgres.read_pool import ReadPool
from taskhub.adapters.postgres.write_pool import WritePool
from tests.conftest import plain_dsn

pytestmark = pytest.mark.postgres

_ANY_ZONE = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-9))])
_MOMENTS = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=_ANY_ZONE,
)


@pytest.fixture(scope="module")
async def binary(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain asyncpg connection: its binary codec is the reference."""
    connection = await asyncpg.connect(plain_dsn(database_url))
    yield connection
    await connection.close()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moment=_MOMENTS)
async def test_a_timestamp_reads_and_writes_as_the_binary_codec_does(
    read_pool: ReadPool, binary: asyncpg.Connection, moment: datetime
) -> None:
    as_text = moment.isoformat()
    async with read_pool.connection() as connection:
        read = await connection.fetchval("SELECT $1::text::timestamptz", as_text)
        # Written as a parameter, read back as PostgreSQL's text of it.
        written = await connection.fetchval("SELECT $1::timestamptz::text", moment)
    assert read == await binary.fetchval("SELECT $1::text::timestamptz", as_text) == moment
    assert read.tzinfo is UTC
    assert written == await binary.fetchval("SELECT $1::timestamptz::text", moment)


async def test_infinity_reads_as_the_binary_codecs_end_of_time_in_utc(
    read_pool: ReadPool, binary: asyncpg.Connection
) -> None:
    # asyncpg's binary codec gives a naive datetime there, which no aware one compares with.
    async with read_pool.connection() as connection:
        for value in ("infinity", "-infinity"):
            query = f"SELECT '{value}'::timestamptz"
            assert await connection.fetchval(query) == (await binary.fetchval(query)).replace(tzinfo=UTC)


async def test_a_url_asking_for_another_zone_and_date_style_still_reads_utc(database_url: str) -> None:
    # Added to the URL's own query (the embedded server's URL already names its socket there).
    options = {"options": "-c TimeZone=Asia/Kolkata -c DateStyle=SQL"}
    url = make_url(database_url).update_query_dict(options).render_as_string(hide_password=False)
    pool = WritePool(url, PoolSettings(size=1))
    try:
        async with pool.acquire() as connection:
            assert await connection.fetchval("SHOW TimeZone") == "UTC"
            assert (await connection.fetchval("SHOW DateStyle")).startswith("ISO")
            assert (await connection.fetchval("SELECT '2026-11-26 18:02:34+00'::timestamptz")).tzinfo is UTC
    finally:
        await pool.close()


async def test_behind_pgbouncer_timestamps_read_as_utc(pgbouncer_url: str) -> None:
    pool = ReadPool(pgbouncer_url, PoolSettings(read_size=1), pooler="pgbouncer")
    try:
        for _ in range(2):  # and again on the server connection PgBouncer lends next
            async with pool.connection() as connection:
                assert await connection.fetchval("SHOW TimeZone") == "UTC"
                moment = await connection.fetchval("SELECT '2026-11-26 19:02:34.5+01'::timestamptz")
                assert moment == datetime(2026, 11, 26, 18, 2, 34, 500000, tzinfo=UTC)
                assert moment.tzinfo is UTC
    finally:
        await pool.close()
