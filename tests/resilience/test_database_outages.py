"""The service against a PostgreSQL the test controls: outages, recovery, a busy pool."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from litestar.testing import AsyncTestClient

from taskhub.adapters.postgres.embedded import EmbeddedPostgres
from taskhub.adapters.postgres.engine import PoolSettings
from taskhub.adapters.postgres.migrations import upgrade
from taskhub.entrypoints.app import create_app
from taskhub.entrypoints.container import Container
from taskhub.entrypoints.settings import Settings
from tests.http.conftest import SECRET, Client, auth, in_this_loop

pytestmark = pytest.mark.postgres


@pytest.fixture
def own_postgres() -> Iterator[EmbeddedPostgres]:
    """A server of this test's own, to stop and start at will."""
    with tempfile.TemporaryDirectory(prefix="taskhub-outage-") as folder:
        server = EmbeddedPostgres(Path(folder) / "pgdata")
        upgrade(server.start())
        try:
            yield server
        finally:
            server.stop()


def container_for(url: str, **pool: float) -> Container:
    settings = Settings(
        database_url=url,
        auth_secret=SECRET,
        pool=PoolSettings(size=2, read_size=2, acquire_timeout_seconds=1, connect_timeout_seconds=2, **pool),  # type: ignore[arg-type]
    )
    return Container(settings=settings)


@pytest.fixture
async def client(own_postgres: EmbeddedPostgres) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(container_for(own_postgres.url()))) as client:
        yield client


async def timed(
    client: Client | httpx.AsyncClient, method: str, url: str, **kwargs: object
) -> tuple[int, float, dict[str, str]]:
    started = time.monotonic()
    response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
    return response.status_code, time.monotonic() - started, dict(response.headers)


async def test_when_the_database_stops_api_calls_get_503_fast_and_liveness_stays_up(
    client: Client, own_postgres: EmbeddedPostgres
) -> None:
    assert (await client.post("/api/tasks", json={"title": "before"}, headers=auth("ada"))).status_code == 201

    own_postgres.stop()

    status, elapsed, headers = await timed(client, "GET", "/api/tasks", headers=auth("ada"))
    assert (status, headers["retry-after"]) == (503, "2")
    assert elapsed < 3
    status, elapsed, _ = await timed(
        client, "POST", "/api/tasks", json={"title": "during"}, headers=auth("ada")
    )
    assert status == 503
    assert elapsed < 3
    assert (await client.get("/health/live")).status_code == 200
    ready = await client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json()["problems"] == ["database unavailable"]


async def test_the_service_recovers_by_itself_when_the_database_comes_back(
    client: Client, own_postgres: EmbeddedPostgres
) -> None:
    created = await client.post("/api/tasks", json={"title": "kept"}, headers=auth("ada"))
    own_postgres.stop()
    assert (await client.get("/api/tasks", headers=auth("ada"))).status_code == 503

    own_postgres.start()

    listed = await client.get("/api/tasks", headers=auth("ada"))
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json()["items"]] == [created.json()["id"]]
    assert (await client.get("/health/ready")).status_code == 200
    assert (await client.post("/api/tasks", json={"title": "after"}, headers=auth("ada"))).status_code == 201


async def test_with_every_write_connection_busy_writes_get_503_within_the_acquire_timeout(
    own_postgres: EmbeddedPostgres,
) -> None:
    container = container_for(own_postgres.url())
    async with in_this_loop(create_app(container)) as client, AsyncExitStack() as holding:
        # Slow requests hold both connections of the pool.
        for _ in range(2):
            await holding.enter_async_context(container.write_pool().transaction())
        status, elapsed, headers = await timed(
            client, "POST", "/api/tasks", json={"title": "t"}, headers=auth("ada")
        )
        assert (status, headers["retry-after"]) == (503, "2")
        assert 0.9 <= elapsed < 2.5
        # Reads have a pool of their own; probes answer meanwhile: liveness never touches a
        # pool, readiness has its own.
        assert (await client.get("/api/tasks", headers=auth("ada"))).status_code == 200
        assert (await client.get("/health/live")).status_code == 200
        assert (await client.get("/health/ready")).status_code == 200
        await holding.aclose()
        assert (await client.post("/api/tasks", json={"title": "t"}, headers=auth("ada"))).status_code == 201


async def test_with_every_read_connection_busy_reads_get_503_within_the_acquire_timeout(
    own_postgres: EmbeddedPostgres,
) -> None:
    container = container_for(own_postgres.url())
    async with in_this_loop(create_app(container)) as client, AsyncExitStack() as holding:
        for _ in range(2):
            await holding.enter_async_context(container.read_pool().connection())
        status, elapsed, headers = await timed(client, "GET", "/api/tasks", headers=auth("ada"))
        assert (status, headers["retry-after"]) == (503, "2")
        assert 0.9 <= elapsed < 2.5
        assert (await client.post("/api/tasks", json={"title": "t"}, headers=auth("ada"))).status_code == 201
        await holding.aclose()
        assert (await client.get("/api/tasks", headers=auth("ada"))).status_code == 200


async def test_many_requests_against_a_small_pool_are_answered_or_refused_never_hung(
    own_postgres: EmbeddedPostgres,
) -> None:
    async with AsyncTestClient(app=create_app(container_for(own_postgres.url()))) as client:
        started = time.monotonic()
        responses = await asyncio.gather(
            *(client.post("/api/tasks", json={"title": f"t{i}"}, headers=auth("ada")) for i in range(30))
        )
        assert {r.status_code for r in responses} <= {201, 503}
        assert time.monotonic() - started < 15
