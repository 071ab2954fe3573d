"""An export of 100,000 tasks through a real `taskhub serve` process: its memory stays flat while
the export streams (against what reading them all at once would cost), the export outlives the
statement timeout, and a client that goes away mid-export leaves no connection or transaction
behind."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import Final

import asyncpg
import httpx
import msgspec
import pytest

from taskhub.adapters.postgres.engine import PoolSettings
from taskhub.adapters.postgres.export import BY_CREATION
from taskhub.adapters.postgres.migrations import upgrade
from taskhub.adapters.postgres.read_pool import ReadPool
from taskhub.adapters.postgres.task_fields import COLUMN_NAMES
from taskhub.adapters.postgres.task_rows import to_task, values_of
from taskhub.domain.lists import TaskList
from taskhub.domain.model import ListId, Priority, Task, TaskContent, TaskId, UserId
from taskhub.domain.positions import key_after
from taskhub.entrypoints.http.export import ExportDocument
from taskhub.entrypoints.http.schemas import task_read
from tests.conftest import plain_dsn
from tests.http.conftest import token_for
from tests.support.services import Service, running_service, service_environment

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
TASKS: Final = 100_000
OWNER: Final = UserId("exporter")
# Another user, with a few batches' worth of tasks.
NEIGHBOUR: Final = UserId("neighbour")
NEIGHBOUR_TASKS: Final = 1200
# Peak RSS growth of the server during the export. Streaming, it holds a batch of 500 tasks and
# a 32 KiB chunk: a few MiB (measured: see STREAMED below). Reading every task first costs far
# more (measured: see test_reading_every_task_at_once_would_not_fit_the_bound).
BOUND_MIB: Final = 48
# Shorter than a slow download takes: only an export made of short statements finishes under it.
STATEMENT_TIMEOUT_MS: Final = 1000
READ_POOL_SIZE: Final = 2
MIB: Final = 1024 * 1024


def _tasks(owner: UserId, lists: list[TaskList], count: int) -> Iterator[Task]:
    """Tasks of a realistic size (about 600 bytes of JSON each): a title, a sentence or two, tags,
    a due date and zone for some, a list for some."""
    start = datetime(2025, 1, 1, tzinfo=UTC)
    position = None
    for n in range(count):
        position = key_after(position)
        content = TaskContent(
            title=f"Task number {n}: follow up with the supplier",
            description="Ask for the revised quote, compare it with last year's, and forward it "
            f"to accounting before the end of the month. Reference {n:06d}.",
            priority=tuple(Priority)[n % 4],
            due_at=start + timedelta(hours=n) if n % 3 else None,
            time_zone=("Europe/Paris", "America/New_York", None)[n % 3],
            tags=("work", f"batch-{n % 50}"),
            list_id=lists[n % len(lists)].id if lists and n % 2 else None,
        )
        task = Task.create(TaskId(uuid.uuid4()), owner, content, start + timedelta(seconds=n))
        yield task.placed(position)


async def seed(database_url: str) -> None:
    at = datetime(2025, 1, 1, tzinfo=UTC)
    positions = [key_after(None)]
    for _ in range(9):
        positions.append(key_after(positions[-1]))
    lists = [
        TaskList.create(ListId(uuid.uuid4()), OWNER, f"List {n}", p, at) for n, p in enumerate(positions)
    ]
    connection = await asyncpg.connect(plain_dsn(database_url))
    try:
        await connection.copy_records_to_table(
            "lists",
            records=[
                (t.id, t.owner_id, t.name, t.position, t.created_at, t.updated_at, t.version) for t in lists
            ],
            columns=["id", "owner_id", "name", "position", "created_at", "updated_at", "version"],
        )
        await connection.copy_records_to_table(
            "tasks",
            records=(
                tuple(values_of(task).values())
                for task in chain(_tasks(OWNER, lists, TASKS), _tasks(NEIGHBOUR, [], NEIGHBOUR_TASKS))
            ),
            columns=list(COLUMN_NAMES),
        )
        await connection.execute("ANALYZE tasks")
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def database(fresh_database: Callable[[], str]) -> str:
    url = fresh_database()
    upgrade(url)
    asyncio.run(seed(url))
    return url


@pytest.fixture(scope="module")
def service(database: str) -> Iterator[Service]:
    env = service_environment(
        database, DB_STATEMENT_TIMEOUT_MS=str(STATEMENT_TIMEOUT_MS), DB_READ_POOL_SIZE=str(READ_POOL_SIZE)
    )
    with running_service(env) as running:
        yield running


def bearer(user: str = OWNER) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user)}"}


def status_kib(pid: int, field: str) -> int:
    """A line of /proc/<pid>/status, such as VmRSS or VmHWM (its peak since last reset), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def reset_peak(pid: int) -> int:
    """Resets the process's peak RSS (VmHWM) to its RSS now: that RSS, in KiB."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return status_kib(pid, "VmRSS")


def download(service: Service, user: str = OWNER, pause_per_mib: float = 0) -> bytes:
    body = bytearray()
    with httpx.stream("GET", f"{service.base_url}/api/export", headers=bearer(user), timeout=120) as response:
        assert response.status_code == 200, response.read()
        for chunk in response.iter_bytes(MIB):
            body += chunk
            time.sleep(pause_per_mib)
    return bytes(body)


def test_exporting_100000_tasks_keeps_the_servers_memory_flat(service: Service) -> None:
    pid = service.process.pid
    download(service, NEIGHBOUR)  # the first export: modules imported, statements prepared
    before = reset_peak(pid)

    started = time.perf_counter()
    body = download(service)
    elapsed = time.perf_counter() - started

    grown_mib = (status_kib(pid, "VmHWM") - before) / 1024
    document = json.loads(body)
    print(
        f"\nexport of {TASKS} tasks: {len(body) / MIB:.1f} MiB in {elapsed:.2f} s; "
        f"server peak RSS {grown_mib:.1f} MiB above its {before / 1024:.0f} MiB before (bound {BOUND_MIB})"
    )
    assert len(document["tasks"]) == TASKS
    assert len(document["lists"]) == 10
    created = [(task["created_at"], task["id"]) for task in document["tasks"]]
    assert created == sorted(created)
    assert grown_mib < BOUND_MIB


def test_a_download_slower_than_the_statement_timeout_completes(service: Service) -> None:
    # The server reads the next batch when the client has taken the last one: however long the
    # download, each statement (a FETCH) lasts milliseconds, and the transaction waits between.
    started = time.perf_counter()
    body = download(service, pause_per_mib=0.05)
    elapsed = time.perf_counter() - started

    assert elapsed > 2 * STATEMENT_TIMEOUT_MS / 1000
    assert len(json.loads(body)["tasks"]) == TASKS


def load_everything(database_url: str, owner: str) -> float:
    """What an export that reads every task before it writes would hold at its peak, in MiB: the
    rows, the tasks, their representations and the encoded document. Run in a process of its own,
    measured as the server is."""

    async def load() -> float:
        pool = ReadPool(database_url, PoolSettings(read_size=1))
        try:
            async with pool.connection() as connection:
                await connection.fetchval("SELECT 1")
                before = reset_peak(os.getpid())
                rows = await connection.fetch(BY_CREATION.sql, owner)
                tasks = [task_read(to_task(row)) for row in rows]
                body = msgspec.json.encode(
                    ExportDocument(exported_at=datetime.now(UTC), lists=[], tasks=tasks)
                )
                assert len(tasks) == TASKS
                assert body
                return (status_kib(os.getpid(), "VmHWM") - before) / 1024
        finally:
            await pool.close()

    return asyncio.run(load())


def test_reading_every_task_at_once_would_not_fit_the_bound(database: str) -> None:
    script = (
        "import sys; from tests.ops.test_export_memory import load_everything as f; print(f(*sys.argv[1:]))"
    )
    measured = subprocess.run(  # noqa: S603 - this interpreter, this module
        [sys.executable, "-c", script, database, OWNER], cwd=ROOT, check=True, capture_output=True, text=True
    )
    grown_mib = float(measured.stdout)
    print(f"\nreading {TASKS} tasks at once: peak RSS {grown_mib:.1f} MiB above before (bound {BOUND_MIB})")
    assert grown_mib > 2 * BOUND_MIB


async def open_transactions(database_url: str) -> list[str]:
    """What the server's connections are doing inside a transaction, if anything."""
    connection = await asyncpg.connect(plain_dsn(database_url))
    try:
        rows = await connection.fetch(
            "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = 'taskhub' AND xact_start IS NOT NULL"
        )
        return [row["query"] for row in rows]
    finally:
        await connection.close()


async def test_a_client_that_goes_away_mid_export_leaves_no_transaction_open(
    service: Service, database: str
) -> None:
    # More exports given up than the read pool has connections: each must have given its back.
    for _ in range(READ_POOL_SIZE + 1):
        async with (
            httpx.AsyncClient(timeout=30) as client,
            client.stream("GET", f"{service.base_url}/api/export", headers=bearer()) as response,
        ):
            assert response.status_code == 200
            received = 0
            async for chunk in response.aiter_bytes():
                received += len(chunk)
                if received > MIB:
                    break
    for _ in range(100):  # the server notices the client is gone within moments
        if not (left := await open_transactions(database)):
            break
        await asyncio.sleep(0.1)

    assert left == []
    async with httpx.AsyncClient(timeout=10) as client:
        assert (await client.get(f"{service.base_url}/api/lists", headers=bearer())).status_code == 200
