"""One deadline for all of a request's waiting on the database (DB_POOL_TIMEOUT_SECONDS):
acquiring, connecting, statements, retries and their backoff; past it, 503 with Retry-After.

These tests measure elapsed time because the deadline is the behaviour under test (a client is
promised an answer in time), with a margin for this machine's scheduling.
"""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from taskhub.adapters.postgres.embedded import EmbeddedPostgres
from taskhub.adapters.postgres.engine import PoolSettings
from taskhub.adapters.postgres.migrations import upgrade
from taskhub.entrypoints.app import create_app
from taskhub.entrypoints.container import Container
from taskhub.entrypoints.settings import Settings
from tests.http.conftest import SECRET, auth, in_this_loop
from tests.support.proxy import SilentableProxy, silentable_proxy

pytestmark = pytest.mark.postgres

DEADLINE = 1.5
# What the event loop, the test client and process scheduling may add on a busy 2-core machine.
MARGIN = 1.0


@pytest.fixture
def own_postgres() -> Iterator[EmbeddedPostgres]:
    with tempfile.TemporaryDirectory(prefix="taskhub-deadline-") as folder:
        server = EmbeddedPostgres(Path(folder) / "pgdata")
        upgrade(server.start())
        try:
            yield server
        finally:
            server.stop()


def socket_of(server: EmbeddedPostgres) -> Path:
    socket_dir = server.url().rpartition("host=")[2]
    return Path(socket_dir) / ".s.PGSQL.5432"


def stop_immediately(server: EmbeddedPostgres) -> None:
    """What `pg_ctl stop -m immediate` does (SIGQUIT to the postmaster): every backend gone at
    once, connections dropped mid-statement. (pg_ctl itself refuses to run as root.)"""
    postmaster = int((server.pgdata / "postmaster.pid").read_text().split()[0])
    os.kill(postmaster, signal.SIGQUIT)
    deadline = time.monotonic() + 10
    while (server.pgdata / "postmaster.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def container_for(url: str) -> Container:
    settings = Settings(
        database_url=url,
        auth_secret=SECRET,
        db_retry_attempts=3,
        pool=PoolSettings(size=4, read_size=4, acquire_timeout_seconds=DEADLINE, connect_timeout_seconds=5),
    )
    return Container(settings=settings)


@asynccontextmanager
async def through_proxy(server: EmbeddedPostgres) -> AsyncIterator[tuple[httpx.AsyncClient, SilentableProxy]]:
    """The app on the test's own loop, its database behind a proxy the test can silence. (Not a
    fixture: the app's lifespan must start and end in the same task.)"""
    async with silentable_proxy(socket_of(server)) as proxy:
        url = f"postgresql://postgres@127.0.0.1:{proxy.port}/postgres"
        async with in_this_loop(create_app(container_for(url))) as client:
            yield client, proxy


async def timed(request: asyncio.Future[httpx.Response] | object) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await request  # type: ignore[misc]
    return response, time.monotonic() - started


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_network_that_goes_silent_mid_request_gets_503_within_the_deadline(
    own_postgres: EmbeddedPostgres, method: str
) -> None:
    body = {"title": "before"} if method == "POST" else None
    async with through_proxy(own_postgres) as (client, proxy):
        assert (await client.request(method, "/api/tasks", json=body, headers=auth("ada"))).status_code < 300
        proxy.go_silent()
        response, elapsed = await timed(client.request(method, "/api/tasks", json=body, headers=auth("ada")))

    assert (response.status_code, response.headers["retry-after"]) == (503, "2")
    assert response.headers["content-type"] == "application/problem+json"
    assert DEADLINE * 0.9 <= elapsed <= DEADLINE + MARGIN


async def test_after_the_silence_the_service_answers_again(own_postgres: EmbeddedPostgres) -> None:
    async with through_proxy(own_postgres) as (client, proxy):
        proxy.go_silent()
        assert (await client.get("/api/tasks", headers=auth("ada"))).status_code == 503
        proxy.speak_again()
        # The connections abandoned at the deadline were closed; new ones are opened.
        assert (await client.get("/api/tasks", headers=auth("ada"))).status_code == 200
        assert (await client.post("/api/tasks", json={"title": "t"}, headers=auth("ada"))).status_code == 201


async def test_a_database_stopped_under_load_answers_every_request_within_the_deadline(
    own_postgres: EmbeddedPostgres,
) -> None:
    outcomes: list[tuple[int, float, str | None]] = []
    stop = asyncio.Event()

    async def keep_asking(client: httpx.AsyncClient, user: str) -> None:
        while not stop.is_set():
            request = (
                client.post("/api/tasks", json={"title": "t"}, headers=auth(user))
                if len(outcomes) % 2
                else client.get("/api/tasks", headers=auth(user))
            )
            response, elapsed = await timed(request)
            outcomes.append((response.status_code, elapsed, response.headers.get("retry-after")))

    async with in_this_loop(create_app(container_for(own_postgres.url()))) as client:
        load = [asyncio.create_task(keep_asking(client, f"user-{i}")) for i in range(6)]
        await asyncio.sleep(1.0)
        answered_before = len(outcomes)
        await asyncio.to_thread(stop_immediately, own_postgres)
        await asyncio.sleep(DEADLINE * 3)
        stop.set()
        await asyncio.gather(*load)

    assert answered_before > 0
    refused = [o for o in outcomes[answered_before:] if o[0] == 503]
    assert refused, "the stop was never noticed"
    assert {status for status, _, _ in outcomes} <= {200, 201, 503}
    assert all(retry_after == "2" for _, _, retry_after in refused)
    assert max(elapsed for _, elapsed, _ in outcomes) <= DEADLINE + MARGIN
