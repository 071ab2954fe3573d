"""The change feed at PostgreSQL under real concurrency."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from taskhub.adapters.postgres.prepared import Prepared
from taskhub.adapters.postgres.revisions import revising
from taskhub.adapters.postgres.task_writes import (
    DELETE,
    DELETE_IF_VERSION,
    INSERT_TOP_LEVEL,
)
from taskhub.adapters.system import SystemClock, TimeOrderedIdGenerator
from taskhub.application.tasks import TaskService
from taskhub.domain.errors import TaskNotFound
from taskhub.domain.model import Priority, Task, TaskId, TaskPatch, UserId
from taskhub.domain.preconditions import VersionCondition
from tests.conftest import Storage, plain_dsn
from tests.factories import make_list, make_task, task_id, user

pytestmark = pytest.mark.postgres


async def test_a_write_waits_for_the_owners_uncommitted_write_so_numbers_commit_in_order(
    postgres_storage: Storage,
) -> None:
    owner = user()
    first, second = make_task(owner, "first"), make_task(owner, "second")

    async with postgres_storage.uow() as slow:
        slow.tasks.add(first)
        await slow.flush()  # sent in its transaction: holds the owner's change lock until it commits

        async def later_write() -> None:
            await postgres_storage.add(second)

        racing = asyncio.create_task(later_write())
        done, _ = await asyncio.wait({racing}, timeout=0.5)
        assert not done, "a second write of the same user drew a change number while the first was open"
        await slow.commit()
    await asyncio.wait_for(racing, timeout=5)

    changes = await postgres_storage.reader.changes(owner, after=0, limit=10)
    assert [c.task_id for c in changes] == [first.id, second.id]


async def test_the_combined_feed_skips_no_change_committed_between_its_reads_of_tasks_and_lists(
    postgres_storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A task, then a list, committed just after the feed has read the tasks table: the list's
    # change number is above the task's, so a feed that saw the list but not the task would hand
    # out a token past the task's change.
    owner = user()
    late_task, late_list = make_task(owner, "late"), make_list(owner)
    original = asyncpg.Connection.fetch
    reads = 0

    async def read_then_commit(self: asyncpg.Connection, query: str, *args: object, **kwargs: object) -> Any:
        nonlocal reads
        rows = await original(self, query, *args, **kwargs)
        reads += 1
        if reads == 1:
            await postgres_storage.add(late_task)
            await postgres_storage.add_lists(late_list)
        return rows

    monkeypatch.setattr(asyncpg.Connection, "fetch", read_then_commit)
    first = await postgres_storage.reader.all_changes(owner, after=0, limit=10)
    monkeypatch.setattr(asyncpg.Connection, "fetch", original)
    since = max((entry.sequence for entry in first), default=0)
    rest = await postgres_storage.reader.all_changes(owner, after=since, limit=10)
    seen = {getattr(entry, "task_id", None) or getattr(entry, "list_id", None) for entry in [*first, *rest]}
    assert seen == {late_task.id, late_list.id}


async def test_twenty_concurrent_edits_of_one_task_all_land_one_after_another(
    postgres_storage: Storage,
) -> None:
    # Each edit is one UPDATE that revises the row as it stands, under the owner's change lock.
    service = TaskService(
        postgres_storage.uow, postgres_storage.reader, SystemClock(), TimeOrderedIdGenerator()
    )
    owner = user()
    task = (await service.create(owner, TaskPatch.of(title="start"))).value
    edits = await asyncio.gather(
        *(service.patch(owner, task.id, TaskPatch.of(title=f"writer {i}")) for i in range(20))
    )
    assert sorted(edit.value.version for edit in edits) == list(range(2, 22))
    assert await service.get(owner, task.id) == max((e.value for e in edits), key=lambda edit: edit.version)


async def test_other_users_writes_are_not_held_up(postgres_storage: Storage) -> None:
    bobs = make_task(user("bob"))
    async with postgres_storage.uow() as slow:
        slow.tasks.add(make_task(user("alice")))
        await slow.flush()  # holds alice's change lock until it commits
        # Raises TimeoutError (the test fails) if bob's write waited for alice's.
        (bobs,) = await asyncio.wait_for(postgres_storage.add(bobs), timeout=2)
        assert await postgres_storage.reader.get(bobs.owner_id, bobs.id) == bobs
        await slow.commit()


async def test_a_client_syncing_during_two_concurrent_writers_ends_with_the_servers_state(
    postgres_storage: Storage,
) -> None:
    service = TaskService(
        postgres_storage.uow, postgres_storage.reader, SystemClock(), TimeOrderedIdGenerator()
    )
    owner: UserId = user()
    mirror: dict[TaskId, Task] = {}
    since: str | None = None
    writing = True

    async def writer(seed: int) -> None:
        rng = random.Random(seed)
        mine: list[TaskId] = []
        for step in range(40):
            roll = rng.random()
            try:
                if roll < 0.4 or not mine:
                    mine.append((await service.create(owner, TaskPatch.of(title=f"w{seed}-{step}"))).value.id)
                elif roll < 0.7:
                    await service.patch(owner, rng.choice(mine), TaskPatch.of(title=f"w{seed}-{step} edited"))
                elif roll < 0.85:
                    await service.complete(owner, rng.choice(mine))
                else:
                    victim = rng.choice(mine)
                    mine.remove(victim)
                    await service.delete(owner, victim)
            except TaskNotFound:
                pass
            await asyncio.sleep(rng.random() / 200)

    async def pull() -> None:
        nonlocal since
        while True:
            page = await service.changes(owner, since=since, limit=7)
            for change in page.changes:
                if change.task is None:
                    mirror.pop(change.task_id, None)
                else:
                    mirror[change.task_id] = change.task
            since = page.next_since
            if not page.has_more:
                return

    async def syncer() -> None:
        while writing:
            await pull()
            await asyncio.sleep(0.005)

    sync = asyncio.create_task(syncer())
    await asyncio.gather(writer(1), writer(2))
    writing = False
    await sync
    await pull()

    server: dict[TaskId, Task] = {}
    cursor = None
    while True:
        page = await service.list(owner, limit=100, cursor=cursor)
        server |= {task.id: task for task in page.items}
        if (cursor := page.next_cursor) is None:
            break
    assert mirror == server
    assert server


async def test_an_edit_holds_the_owners_change_lock_until_it_commits(postgres_storage: Storage) -> None:
    owner = user()
    first, second = make_task(owner, "first"), make_task(owner, "second")
    await postgres_storage.add(first, second)

    async with postgres_storage.uow() as slow:
        slow.tasks.revise(owner, first.id, TaskPatch.of(title="first, edited"), now=first.updated_at)
        await slow.flush()

        async def later_edit() -> None:
            async with postgres_storage.uow() as fast:
                fast.tasks.revise(
                    owner, second.id, TaskPatch.of(title="second, edited"), now=second.updated_at
                )
                await fast.commit()

        racing = asyncio.create_task(later_edit())
        done, _ = await asyncio.wait({racing}, timeout=0.5)
        assert not done, "an edit of the same user proceeded while another was uncommitted"
        await slow.commit()
    await asyncio.wait_for(racing, timeout=5)

    changes = await postgres_storage.reader.changes(owner, after=0, limit=10)
    assert [c.task_id for c in changes] == [first.id, second.id]


def _locking_revision(patch: TaskPatch, condition: VersionCondition | None = None) -> Prepared:
    statement = revising(user(), task_id(), patch, now=datetime.now(UTC), condition=condition)
    assert statement is not None
    return statement[0].locking


@pytest.mark.parametrize(
    "statement",
    [
        INSERT_TOP_LEVEL.locking,
        DELETE.locking,
        DELETE_IF_VERSION.locking,
        _locking_revision(TaskPatch.of(title="t")),
        _locking_revision(TaskPatch.of(priority=Priority.HIGH, tags=("a",)), VersionCondition.one_of(1)),
    ],
    ids=[
        "insert",
        "delete",
        "delete-if-version",
        "revision",
        "revision-if-version",
    ],
)
async def test_a_write_taking_the_lock_draws_its_change_number_only_under_it(
    database_url: str, statement: Prepared
) -> None:
    # The lock rides on the write: PostgreSQL must evaluate it (in the FROM subquery) before
    # the row that calls nextval, or a change number could be drawn before the lock is held.
    connection = await asyncpg.connect(plain_dsn(database_url))
    try:
        document = await connection.fetchval(
            f"EXPLAIN (VERBOSE, FORMAT JSON) {statement.sql}",
            # Values where a NULL would let the planner see that no row can match.
            *[
                {"lock_name": "changes\x1fowner", "owner": "owner", "version": 1}.get(name)
                or {
                    "task_id": task_id(),
                    "id": task_id(),
                    "at": datetime.now(UTC),
                    "now": datetime.now(UTC),
                }.get(name)
                or {"title": "t", "description": "", "completed": False, "priority": 0, "tags": []}.get(name)
                or {"created_at": datetime.now(UTC), "updated_at": datetime.now(UTC)}.get(name)
                or {"new_title": "t", "new_priority": 3, "new_tags": ["a"], "versions": [1]}.get(name)
                for name in statement.names
            ],
        )
    finally:
        await connection.close()

    def lineage(node: dict[str, Any], ancestors: list[str]) -> list[tuple[str, list[str]]]:
        output = " ".join(node.get("Output", []))
        found = [(output, ancestors)]
        for child in node.get("Plans", []):
            found += lineage(child, [*ancestors, output])
        return found

    nodes = lineage(json.loads(document)[0]["Plan"], [])
    locking = [ancestors for output, ancestors in nodes if "pg_advisory_xact_lock" in output]
    assert len(locking) == 1
    assert any("nextval" in above for above in locking[0]), "nextval is not computed above the lock"
    assert not any("nextval" in output for output, _ in nodes if "pg_advisory_xact_lock" in output)
