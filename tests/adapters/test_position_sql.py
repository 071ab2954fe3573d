"""`taskhub_position_after` (adapters/postgres/position_sql.py) equals `positions.key_after` at a
real PostgreSQL. The function is created in a transaction that is rolled back, in an empty
database of this module's own: the test does not depend on the migration that ships it."""

from __future__ import annotations

import string
from collections.abc import AsyncIterator, Callable

import asyncpg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from taskhub.adapters.postgres.position_sql import CREATE_POSITION_AFTER
from taskhub.domain.positions import FIRST, key_after
from tests.conftest import plain_dsn
from tests.unit.test_positions import INVALID_KEYS, SMALLEST_INTEGER, integer_length, valid_keys

pytestmark = pytest.mark.postgres

# Each key in one statement, in order: one round trip for a whole Hypothesis example.
AFTER_EACH = (
    "SELECT taskhub_position_after(key) FROM unnest($1::text[]) WITH ORDINALITY AS k(key, n) ORDER BY n"
)


def edge_keys() -> list[str]:
    """For every head, the integer parts where the increment carries through every digit (all
    'z'), or does not carry at all (all '0'), with fractions the open-end midpoint walks over."""
    keys = []
    for head in string.ascii_letters:
        for digit in "0z":
            for fraction in ("", "1", "V", "y", "z", "zz", "zy", "zzV", "0V"):
                keys.append(head + digit * (integer_length(head) - 1) + fraction)
    return [key for key in keys if key != SMALLEST_INTEGER]


@pytest.fixture(scope="module")
async def connection(fresh_database: Callable[[], str]) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(plain_dsn(fresh_database()))
    transaction = connection.transaction()
    await transaction.start()
    await connection.execute(CREATE_POSITION_AFTER)
    yield connection
    await transaction.rollback()
    await connection.close()


async def after_each(connection: asyncpg.Connection, keys: list[str], query: str = AFTER_EACH) -> list[str]:
    return [row[0] for row in await connection.fetch(query, keys)]


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(valid_keys, min_size=1, max_size=50))
async def test_the_sql_function_equals_key_after(connection: asyncpg.Connection, keys: list[str]) -> None:
    assert await after_each(connection, keys) == [key_after(key) for key in keys]


async def test_the_sql_function_equals_key_after_where_the_integer_carries(
    connection: asyncpg.Connection,
) -> None:
    keys = [*edge_keys(), "a" + "z", "Zz", "z" * 27, "z" * 40, "z" * 27 + "zzzzzyV", "y" + "z" * 25, "Yzzz"]
    assert await after_each(connection, keys) == [key_after(key) for key in keys]


async def test_a_null_key_gives_null_for_the_caller_to_coalesce(connection: asyncpg.Connection) -> None:
    assert await connection.fetchval("SELECT taskhub_position_after(NULL)") is None
    assert await connection.fetchval("SELECT coalesce(taskhub_position_after(NULL), 'a0')") == FIRST


@pytest.mark.parametrize("text", INVALID_KEYS)
async def test_the_sql_function_refuses_malformed_keys(connection: asyncpg.Connection, text: str) -> None:
    with pytest.raises(asyncpg.InvalidParameterValueError, match="invalid position key"):
        async with connection.transaction():  # a savepoint: the module's transaction goes on
            await connection.fetchval("SELECT taskhub_position_after($1)", text)
