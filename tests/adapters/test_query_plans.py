"""Every listing query uses an index on a realistic table: 100,000 tasks for one user, among
1,000 users with 10 and 100 with 200. Checked with EXPLAIN on the statements the repository
really runs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg
import pytest

from taskhub.adapters.postgres.listing import listing
from taskhub.adapters.postgres.migrations import upgrade
from taskhub.domain.listing import INBOX, TOP_LEVEL, PageKey, Sort, TaskFilter
from taskhub.domain.model import ListId, Priority, TaskId, UserId
from taskhub.entrypoints.http.listing import SORT_VALUES
from taskhub.ports.repositories import TaskQuery
from tests.conftest import plain_dsn

pytestmark = pytest.mark.postgres

HEAVY = UserId("heavy-user")

SEED = """
INSERT INTO tasks (id, owner_id, title, description, completed, completed_at, priority, due_at,
                   tags, created_at, updated_at, version, deleted_at)
SELECT gen_random_uuid(), $1,
       'task ' || i || ' ' || (ARRAY['milk','bread','report','call','email'])[1 + i % 5],
       CASE WHEN i % 7 = 0 THEN 'remember the quarterly numbers' ELSE '' END,
       i % 3 = 0, CASE WHEN i % 3 = 0 THEN now() END,
       i % 4,
       CASE WHEN i % 2 = 0 THEN now() + (i || ' minutes')::interval END,
       CASE WHEN i % 5 = 0 THEN ARRAY['home'] ELSE ARRAY['work', 'tag' || (i % 50)] END,
       now() - (i || ' seconds')::interval, now() - (i || ' seconds')::interval, 1,
       CASE WHEN i % 50 = 0 THEN now() END
FROM generate_series(1, $2) AS i
"""


@pytest.fixture(scope="module")
async def seeded(fresh_database: Callable[[], str]) -> AsyncIterator[asyncpg.Connection]:
    url = fresh_database()
    await asyncio.to_thread(upgrade, url)
    connection = await asyncpg.connect(plain_dsn(url))
    await connection.execute(SEED.replace("$2", "100000"), HEAVY)
    for user in range(1000):
        await connection.execute(SEED.replace("$2", "10"), f"user-{user}")
    # Users with a few hundred tasks: where a table-wide index looked cheaper than their own.
    for user in range(100):
        await connection.execute(SEED.replace("$2", "200"), f"active-user-{user}")
    # VACUUM as autovacuum would: it empties GIN pending lists, and plans differ before and after.
    await connection.execute("VACUUM ANALYZE tasks")
    yield connection
    await connection.close()


async def plan(connection: asyncpg.Connection, query: TaskQuery, owner: UserId = HEAVY) -> dict[str, Any]:
    # Exactly what the read path sends: the statement of the query's shape, and its parameters.
    statement, parameters = listing(owner, query)
    document = await connection.fetchval(
        f"EXPLAIN (FORMAT JSON) {statement.sql}", *statement.arguments(parameters)
    )
    result: dict[str, Any] = json.loads(document)[0]["Plan"]
    return result


def nodes(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for child in node.get("Plans", []) for n in nodes(child))]


def assert_uses_an_index(root: dict[str, Any]) -> None:
    kinds = {n["Node Type"] for n in nodes(root)}
    assert "Seq Scan" not in kinds, kinds
    assert kinds & {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}, kinds


@pytest.mark.parametrize("sort", SORT_VALUES)
async def test_the_first_page_of_each_sort_is_read_in_order_from_an_index(
    seeded: asyncpg.Connection, sort: str
) -> None:
    root = await plan(seeded, TaskQuery(sort=Sort.parse(sort), limit=51))
    assert_uses_an_index(root)
    # The index gives the order: no sorting of the user's 100,000 rows to find the first 51.
    assert "Sort" not in {n["Node Type"] for n in nodes(root)}


@pytest.mark.parametrize("sort", SORT_VALUES)
async def test_a_later_page_of_each_sort_starts_inside_the_index(
    seeded: asyncpg.Connection, sort: str
) -> None:
    order = Sort.parse(sort)
    first = await seeded.fetchrow("SELECT id, created_at FROM tasks WHERE owner_id = $1 LIMIT 1", HEAVY)
    value: Any = {"priority": 2, "title": "task 5 milk", "position": "a0"}.get(
        order.field.value, first["created_at"]
    )
    root = await plan(seeded, TaskQuery(sort=order, limit=51, after=PageKey(value, TaskId(first["id"]))))
    assert_uses_an_index(root)
    assert "Sort" not in {n["Node Type"] for n in nodes(root)}


FILTERS = pytest.mark.parametrize(
    "wanted",
    [
        TaskFilter(text="milk"),
        TaskFilter(text='"quarterly numbers"'),
        TaskFilter(tags=frozenset({"home"})),
        TaskFilter(completed=False, priorities=frozenset({Priority.HIGH})),
        TaskFilter(text="report", completed=True),
    ],
    ids=["search", "phrase", "tag", "completed-priority", "search-completed"],
)


@FILTERS
async def test_a_filtered_or_searched_first_page_uses_an_index(
    seeded: asyncpg.Connection, wanted: TaskFilter
) -> None:
    assert_uses_an_index(await plan(seeded, TaskQuery(filter=wanted, limit=51)))


@FILTERS
@pytest.mark.parametrize(
    "owner", [HEAVY, UserId("active-user-7"), UserId("user-7")], ids=["heavy", "active", "light"]
)
async def test_a_filtered_or_searched_page_reads_the_callers_rows_only(
    seeded: asyncpg.Connection, wanted: TaskFilter, owner: UserId
) -> None:
    # An index over every user's rows (a table-wide GIN index on the search vector or the tags,
    # until migration 0004) made a search read every user's matches to keep the caller's.
    scans = [
        n for n in nodes(await plan(seeded, TaskQuery(filter=wanted, limit=51), owner)) if "Index Name" in n
    ]
    assert scans
    for scan in scans:
        assert "owner_id" in scan.get("Index Cond", ""), scan


# The heavy user's tasks in places: 20 lists, half the tasks in one of them, and three of every ten
# a subtask of the task before them.
PLACES_SEED = [
    """
    INSERT INTO lists (id, owner_id, name, position, created_at, updated_at)
    SELECT gen_random_uuid(), $1, 'list ' || n, 'a' || chr(65 + n), now(), now()
    FROM generate_series(0, 19) AS n
    """,
    """
    WITH numbered AS (
             SELECT id, row_number() OVER (ORDER BY created_at, id) AS i FROM tasks WHERE owner_id = $1
         ),
         places AS (SELECT id, row_number() OVER (ORDER BY position) - 1 AS n FROM lists WHERE owner_id = $1)
    UPDATE tasks SET list_id = places.id
    FROM numbered JOIN places ON places.n = numbered.i % 40
    WHERE tasks.id = numbered.id
    """,
    """
    WITH numbered AS (
        SELECT id, row_number() OVER (ORDER BY created_at, id) AS i FROM tasks WHERE owner_id = $1
    )
    UPDATE tasks SET parent_id = parent.id
    FROM numbered AS child JOIN numbered AS parent ON parent.i = child.i - child.i % 10
    WHERE tasks.id = child.id AND child.i % 10 BETWEEN 1 AND 3 AND parent.i > 0
    """,
]


@pytest.fixture(scope="module")
async def placed(seeded: asyncpg.Connection) -> dict[str, TaskFilter]:
    for statement in PLACES_SEED:
        await seeded.execute(statement, HEAVY)
    await seeded.execute("ANALYZE tasks")
    list_id = await seeded.fetchval(
        "SELECT list_id FROM tasks WHERE owner_id = $1 AND list_id IS NOT NULL LIMIT 1", HEAVY
    )
    parent_id = await seeded.fetchval(
        "SELECT parent_id FROM tasks WHERE owner_id = $1 AND parent_id IS NOT NULL LIMIT 1", HEAVY
    )
    return {
        "list": TaskFilter(list_id=ListId(list_id)),
        "inbox": TaskFilter(list_id=INBOX),
        "parent": TaskFilter(parent_id=TaskId(parent_id)),
        "top-level": TaskFilter(parent_id=TOP_LEVEL),
        "list-top-level": TaskFilter(list_id=ListId(list_id), parent_id=TOP_LEVEL),
    }


@pytest.mark.parametrize("place", ["list", "inbox", "parent", "top-level", "list-top-level"])
@pytest.mark.parametrize("sort", SORT_VALUES)
async def test_a_page_of_one_place_is_read_from_an_index_of_the_callers_rows(
    seeded: asyncpg.Connection, placed: dict[str, TaskFilter], place: str, sort: str
) -> None:
    root = await plan(seeded, TaskQuery(filter=placed[place], sort=Sort.parse(sort), limit=51))
    assert_uses_an_index(root)
    for scan in (n for n in nodes(root) if "Index Name" in n):
        assert "owner_id" in scan.get("Index Cond", ""), scan


@pytest.mark.parametrize("place", ["list", "parent"])
async def test_a_places_tasks_in_position_order_come_straight_from_its_position_index(
    seeded: asyncpg.Connection, placed: dict[str, TaskFilter], place: str
) -> None:
    root = await plan(seeded, TaskQuery(filter=placed[place], sort=Sort.parse("position"), limit=51))
    names = {n.get("Index Name") for n in nodes(root)} - {None}
    assert names == {"ix_tasks_owner_list_position" if place == "list" else "ix_tasks_owner_parent_position"}
    assert "Sort" not in {n["Node Type"] for n in nodes(root)}
