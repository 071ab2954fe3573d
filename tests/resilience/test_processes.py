"""Whole processes: a killed server loses no acknowledged write; migrations run concurrently."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import asyncpg
import httpx
import pytest

from taskhub.adapters.postgres.migrations import head_revision, upgrade
from tests.conftest import plain_dsn
from tests.http.conftest import token_for
from tests.support.services import TASKHUB, free_port, service_environment, wait_until_live

pytestmark = pytest.mark.postgres


async def stored_ids(database_url: str) -> set[str]:
    connection = await asyncpg.connect(plain_dsn(database_url))
    try:
        return {str(row["id"]) for row in await connection.fetch("SELECT id FROM tasks")}
    finally:
        await connection.close()


async def test_kill_9_during_a_stream_of_creates_loses_no_acknowledged_task(
    fresh_database: Callable[[], str],
) -> None:
    database_url = fresh_database()
    await asyncio.to_thread(upgrade, database_url)
    port = free_port()
    server = subprocess.Popen(  # noqa: S603, ASYNC220 - starting it does not block
        [TASKHUB, "serve"],
        env=service_environment(database_url, PORT=str(port), LOG_LEVEL="WARNING"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    await asyncio.to_thread(wait_until_live, base, server)
    acknowledged: list[str] = []
    enough = asyncio.Event()
    headers = {"Authorization": f"Bearer {token_for('ada')}"}

    async def writer(client: httpx.AsyncClient, number: int) -> None:
        for i in range(10_000):
            try:
                response = await client.post("/api/tasks", json={"title": f"w{number}-{i}"}, headers=headers)
            except httpx.TransportError:
                return  # the server died under this request: its outcome is unknown, and unacknowledged
            if response.status_code == 201:
                acknowledged.append(response.json()["id"])
                if len(acknowledged) >= 50:
                    enough.set()

    async with httpx.AsyncClient(base_url=base, timeout=5) as client:
        writers = [asyncio.create_task(writer(client, n)) for n in range(8)]
        await asyncio.wait_for(enough.wait(), timeout=60)
        server.send_signal(signal.SIGKILL)
        await asyncio.gather(*writers)
    server.wait(timeout=10)

    assert len(acknowledged) >= 50
    assert set(acknowledged) <= await stored_ids(database_url)


def test_two_migrations_at_once_both_succeed_and_apply_once(fresh_database: Callable[[], str]) -> None:
    database_url = fresh_database()
    env = service_environment(database_url)
    runs = [
        subprocess.Popen([TASKHUB, "migrate"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: S603
        for _ in range(2)
    ]
    outcomes = [(run.wait(timeout=120), run.stderr.read().decode() if run.stderr else "") for run in runs]
    assert [code for code, _ in outcomes] == [0, 0], outcomes

    async def versions() -> list[str]:
        connection = await asyncpg.connect(plain_dsn(database_url))
        try:
            return [
                row["version_num"]
                for row in await connection.fetch("SELECT version_num FROM alembic_version")
            ]
        finally:
            await connection.close()

    assert asyncio.run(versions()) == [head_revision()]


def test_serve_refuses_a_bad_setting_with_one_line(tmp_path: Path) -> None:
    env = service_environment("mysql://nope@host/db")
    started = time.monotonic()
    result = subprocess.run([TASKHUB, "serve"], env=env, capture_output=True, text=True, check=False)  # noqa: S603
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("taskhub: error: DATABASE_URL")
    assert time.monotonic() - started < 10
