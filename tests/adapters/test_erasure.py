"""Erasure in PostgreSQL: every table that holds a user's data is erased, and a new one cannot be
added without being named in `ERASED` (or declared free of user data below)."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from taskhub.adapters.postgres.erasure import ERASED
from taskhub.entrypoints.cli import main
from tests.conftest import Storage, plain_dsn
from tests.factories import make_list, make_task, user

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("keep_logging_as_it_was")]

# Tables that hold no user's data, each with the reason.
NO_USER_DATA = {
    "alembic_version": "the schema's revision",
    "sync_state": "one row: the tombstones' purge watermark",
    "erasures": "what erasing leaves: a digest of an erased id and a change number (ports/accounts.py)",
}


async def _tables(database_url: str) -> dict[str, set[str]]:
    connection = await asyncpg.connect(plain_dsn(database_url))
    try:
        rows = await connection.fetch(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
        )
    finally:
        await connection.close()
    tables: dict[str, set[str]] = {}
    for row in rows:
        tables.setdefault(row["table_name"], set()).add(row["column_name"])
    return tables


async def test_every_table_with_an_owner_is_erased(database_url: str) -> None:
    tables = await _tables(database_url)
    owned = {name for name, columns in tables.items() if "owner_id" in columns}
    assert owned == {table.name for table in ERASED}


async def test_every_other_table_is_known_to_hold_no_user_data(database_url: str) -> None:
    tables = await _tables(database_url)
    unowned = {name for name, columns in tables.items() if "owner_id" not in columns}
    assert unowned == set(NO_USER_DATA), "a new table: erase its user data (ERASED) or say why it holds none"


async def _count_rows(database_url: str, owner: str) -> dict[str, int]:
    connection = await asyncpg.connect(plain_dsn(database_url))
    try:
        return {
            table.name: await connection.fetchval(
                f"SELECT count(*) FROM {table.name} WHERE owner_id = $1",  # noqa: S608 - our table names
                owner,
            )
            for table in ERASED
        }
    finally:
        await connection.close()


async def test_erase_user_leaves_no_row_of_the_user_in_any_table_and_every_other_users(
    postgres_storage: Storage,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    owner, other = user(), user()
    for who in (owner, other):
        groceries = make_list(who)
        await postgres_storage.add_lists(groceries)
        await postgres_storage.add(make_task(who, list_id=groceries.id), make_task(who))
    others_before = await _count_rows(database_url, other)

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BETTER_AUTH_SECRET", "x" * 32)
    # The command runs its own event loop, as it does from a hook or a shell.
    assert await asyncio.to_thread(main, ["erase-user", "--sub", owner]) == 0

    output = capsys.readouterr().out
    assert "erased the user: 3 rows deleted" in output
    assert owner not in output
    assert await _count_rows(database_url, owner) == {table.name: 0 for table in ERASED}
    assert (
        await _count_rows(database_url, other)
        == others_before
        == {"tasks": 2, "lists": 1, "idempotency_keys": 0}
    )


def test_erase_user_refuses_an_id_that_no_token_could_carry(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BETTER_AUTH_SECRET", "x" * 32)
    assert main(["erase-user", "--sub", "bad\x00id"]) != 0
    assert "--sub must be a user id" in capsys.readouterr().err
