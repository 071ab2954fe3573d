"""Migrations: the stairway (up, down, up) and no drift between the tables and the revisions."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from taskhub.adapters.postgres.engine import PoolSettings, create_engine
from taskhub.adapters.postgres.migrations import alembic_config, downgrade, head_revision, upgrade
from taskhub.adapters.postgres.tables import metadata
from taskhub.adapters.postgres.unit_of_work import PostgresUnitOfWork
from taskhub.adapters.postgres.write_pool import WritePool
from taskhub.domain.model import Priority, Task, TaskContent, TaskId, UserId
from tests.conftest import plain_dsn


async def _run_sync(url: str, work: Callable[[Connection], Any]) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(work)
    finally:
        await engine.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


# Alembic reflects `title COLLATE "C"` in an index as plain `title`; that index is compared by
# its definition in pg_indexes instead (test_the_title_index_sorts_by_code_point).
_REFLECTION_GAPS = {
    "ix_tasks_owner_title",
    "ix_tasks_owner_list_position",
    "ix_tasks_owner_position",
    "ix_lists_owner_position",
    "ix_tasks_owner_parent_position",
}


def _drift(connection: Connection) -> list[Any]:
    def include(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
        return not (kind == "index" and name in _REFLECTION_GAPS)

    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "compare_server_default": True, "include_object": include},
    )
    return list(compare_metadata(context, metadata))


def _index_definition(connection: Connection, name: str) -> str:
    definition = connection.exec_driver_sql(
        f"SELECT indexdef FROM pg_indexes WHERE indexname = '{name}'"  # noqa: S608 - a constant
    ).scalar()
    return str(definition)


def _revisions_oldest_first() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions()))]


async def test_every_revision_upgrades_downgrades_and_upgrades_again(
    fresh_database: Callable[[], str],
) -> None:
    url = fresh_database()
    previous = "base"
    for revision in _revisions_oldest_first():
        # Alembic's env runs its own event loop: keep it off this test's loop.
        await asyncio.to_thread(upgrade, url, revision)
        await asyncio.to_thread(downgrade, url, previous)
        await asyncio.to_thread(upgrade, url, revision)
        previous = revision
    assert "tasks" in await _run_sync(url, _tables)


async def test_downgrading_to_base_leaves_no_table_but_alembic_version(
    fresh_database: Callable[[], str],
) -> None:
    url = fresh_database()
    await asyncio.to_thread(upgrade, url)
    await asyncio.to_thread(downgrade, url, "base")
    assert await _run_sync(url, _tables) <= {"alembic_version"}


async def test_the_migrated_schema_matches_the_table_definitions(database_url: str) -> None:
    assert await _run_sync(database_url, _drift) == []


def test_there_is_exactly_one_head() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [head_revision()]


async def test_the_title_index_sorts_by_code_point(database_url: str) -> None:
    definition = await _run_sync(database_url, lambda c: _index_definition(c, "ix_tasks_owner_title"))
    assert 'title COLLATE "C"' in definition
    assert "WHERE (deleted_at IS NULL)" in definition


async def test_the_position_indexes_order_keys_byte_wise_over_live_rows(database_url: str) -> None:
    expected = {
        "ix_tasks_owner_list_position": '(owner_id, list_id, "position" COLLATE "C", id)',
        "ix_tasks_owner_position": '(owner_id, "position" COLLATE "C", id)',
        "ix_lists_owner_position": '(owner_id, "position" COLLATE "C", id)',
    }
    for name, columns in expected.items():
        definition = await _run_sync(database_url, lambda c, name=name: _index_definition(c, name))
        assert columns in definition, definition
        assert "WHERE (deleted_at IS NULL)" in definition


async def test_the_subtask_index_orders_a_parents_children_byte_wise_and_holds_only_subtasks(
    database_url: str,
) -> None:
    definition = await _run_sync(
        database_url, lambda c: _index_definition(c, "ix_tasks_owner_parent_position")
    )
    assert '(owner_id, parent_id, "position" COLLATE "C", id)' in definition
    assert "WHERE ((deleted_at IS NULL) AND (parent_id IS NOT NULL))" in definition


async def test_idempotency_records_made_before_0005_replay_their_task_after_it(
    fresh_database: Callable[[], str],
) -> None:
    url = fresh_database()
    await asyncio.to_thread(upgrade, url, "0004")
    owner = UserId("alice")
    task = Task.create(
        TaskId(uuid.uuid4()),
        owner,
        TaskContent(
            title="Buy milk",
            priority=Priority.HIGH,
            tags=("home",),
            due_at=datetime(2026, 12, 24, tzinfo=UTC),
        ),
        datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
    )
    # The body as the API returned it then: the task's representation.
    body = msgspec.json.encode(
        {
            "id": str(task.id),
            "title": "Buy milk",
            "description": "",
            "completed": False,
            "completed_at": None,
            "priority": "high",
            "due_at": "2026-12-24T00:00:00Z",
            "time_zone": None,
            "tags": ["home"],
            "created_at": "2026-12-01T09:30:00Z",
            "updated_at": "2026-12-01T09:30:00Z",
            "version": 1,
        }
    )
    connection = await asyncpg.connect(plain_dsn(url))
    try:
        await connection.execute(
            "INSERT INTO idempotency_keys"
            " (owner_id, key, fingerprint, status, headers, body, created_at, expires_at)"
            " VALUES ($1, 'k', $2, 201, '{}', $3, now(), now() + interval '1 day')",
            owner,
            "f" * 64,
            body,
        )
    finally:
        await connection.close()

    await asyncio.to_thread(upgrade, url)

    pool = WritePool(url, PoolSettings(size=1))
    try:
        async with PostgresUnitOfWork(pool) as uow:
            claim = await uow.idempotency.claim(owner, "k")
    finally:
        await pool.close()
    assert claim.record is not None
    # After 0006 too: in the inbox, at the position the tasks table gives rows from before it.
    placed = task.placed("a0")
    assert (claim.record.fingerprint, claim.record.answer, claim.record.failure) == ("f" * 64, placed, None)


async def test_after_0008_tasks_do_not_repeat_and_the_database_refuses_a_rule_without_a_start(
    fresh_database: Callable[[], str],
) -> None:
    url = fresh_database()
    await asyncio.to_thread(upgrade, url, "0007")
    connection = await asyncpg.connect(plain_dsn(url))
    try:
        task_id = await connection.fetchval(
            "INSERT INTO tasks (id, owner_id, title, description, completed, priority, tags,"
            " created_at, updated_at, due_at) VALUES (gen_random_uuid(), 'alice', 'Buy milk', '',"
            " false, 0, '{}', now(), now(), now()) RETURNING id"
        )
        await asyncio.to_thread(upgrade, url)
        row = await connection.fetchrow(
            "SELECT recurrence, recurrence_start, last_completed_at FROM tasks WHERE id = $1", task_id
        )
        assert tuple(row) == (None, None, None)
        for assignments in (
            "recurrence = 'FREQ=DAILY'",
            "recurrence = 'FREQ=DAILY', recurrence_start = now(), due_at = NULL",
        ):
            with pytest.raises(asyncpg.CheckViolationError, match="recurrence_has_a_start"):
                await connection.execute(f"UPDATE tasks SET {assignments} WHERE id = $1", task_id)  # noqa: S608
    finally:
        await connection.close()
