"""The hot write statements are planned once per connection, not on every execution.

asyncpg prepares each statement once per connection; PostgreSQL then plans the first five
executions for their parameters and, from the sixth, reuses a generic plan unless it looks
dearer. A create's INSERT once bound its sibling subquery's `LIMIT 1` as a parameter: the
generic plan looked dearer, so PostgreSQL planned the whole INSERT again on every create
(90-130 us each, measured 2026-12-05). `pg_prepared_statements` counts both kinds of plan."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from taskhub.adapters.postgres.change_lock import LOCK_PARAMETER, lock_name
from taskhub.adapters.postgres.prepared import Prepared
from taskhub.adapters.postgres.task_rows import values_of
from taskhub.adapters.postgres.task_tree import LAST_KEY
from taskhub.adapters.postgres.task_writes import INSERT_TOP_LEVEL
from taskhub.domain.model import ListId, Task, TaskContent, TaskId, UserId
from tests.conftest import plain_dsn

pytestmark = pytest.mark.postgres

EXECUTIONS = 12
# Statistics as a real table has them: a generic plan is judged against custom plans by the
# planner's estimates, and on an empty table every plan looks alike.
SEED = """
INSERT INTO tasks (id, owner_id, title, created_at, updated_at, position)
SELECT gen_random_uuid(), 'seeded-' || (i % 50), 'task ' || i, now(), now(), 'a0'
FROM generate_series(1, 50000) AS i
"""


def _parameters(owner: UserId, list_id: ListId | None) -> dict[str, object]:
    task = Task.create(
        TaskId(uuid.uuid4()), owner, TaskContent(title="Buy milk", list_id=list_id), datetime.now(UTC)
    )
    return values_of(task) | {
        "owner": owner,
        "list_id": list_id,
        "parent_id": None,
        LOCK_PARAMETER: lock_name(owner),
    }


async def _plans(connection: asyncpg.Connection, statement: Prepared) -> tuple[int, int]:
    row = await connection.fetchrow(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1", statement.sql
    )
    assert row is not None, "the statement was not prepared"
    return row["generic_plans"], row["custom_plans"]


@pytest.mark.parametrize(
    ("name", "statement", "in_a_list"),
    [
        ("create in the inbox", INSERT_TOP_LEVEL.locking, False),
        ("create in a list", INSERT_TOP_LEVEL.locking, True),
        ("last key of a place", LAST_KEY[(True, False)], False),
    ],
)
async def test_a_hot_statement_reuses_its_generic_plan(
    database_url: str, name: str, statement: Prepared, in_a_list: bool
) -> None:
    connection = await asyncpg.connect(plain_dsn(database_url))
    try:
        await connection.execute(SEED)
        await connection.execute("ANALYZE tasks")
        owner = UserId(f"plan-{uuid.uuid4().hex[:8]}")
        list_id = None
        if in_a_list:
            list_id = ListId(uuid.uuid4())
            await connection.execute(
                "INSERT INTO lists (id, owner_id, name, position, created_at, updated_at)"
                " VALUES ($1, $2, 'Groceries', 'a0', now(), now())",
                list_id,
                owner,
            )
        for _ in range(EXECUTIONS):
            await connection.fetchval(statement.sql, *statement.arguments(_parameters(owner, list_id)))
        generic, custom = await _plans(connection, statement)
    finally:
        await connection.close()
    assert custom <= 5, f"{name}: planned again on {custom} of {EXECUTIONS} executions"
    assert generic == EXECUTIONS - custom
