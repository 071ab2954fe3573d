"""The real app, over HTTP, against PostgreSQL and against the in-memory adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from taskhub.adapters.jose_tokens import mint_shared_secret_token
from taskhub.adapters.postgres.engine import PoolSettings
from taskhub.entrypoints.app import create_app
from taskhub.entrypoints.container import Container
from taskhub.entrypoints.settings import Settings
from tests.support.storage import use_memory

SECRET = "test-only-shared-secret-0123456789abcdef"

Client = AsyncTestClient[Litestar]


def token_for(user: str, ttl: timedelta = timedelta(minutes=5)) -> str:
    return mint_shared_secret_token(SECRET, user, ttl)


def auth(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user)}"}


@asynccontextmanager
async def in_this_loop(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """The app on the test's own event loop (AsyncTestClient runs it on another thread's loop),
    for tests that share objects such as the engine's pool with the app."""
    async with (
        app.lifespan(),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver.local"
        ) as client,
    ):
        yield client


def make_container(database_url: str, **overrides: object) -> Container:
    settings = Settings(
        database_url=database_url,
        auth_secret=SECRET,
        pool=PoolSettings(size=5, acquire_timeout_seconds=2, read_size=5),
        **overrides,  # type: ignore[arg-type]
    )
    return Container(settings=settings)


@pytest.fixture(
    params=[
        pytest.param("postgres", marks=pytest.mark.postgres),
        pytest.param("pgbouncer", marks=pytest.mark.postgres),
        pytest.param("memory"),
    ]
)
def container(request: pytest.FixtureRequest, database_url: str) -> Container:
    """The app's storage: PostgreSQL directly, PostgreSQL through PgBouncer, or in memory."""
    if request.param == "pgbouncer":
        container = make_container(request.getfixturevalue("pgbouncer_url"), database_pooler="pgbouncer")
    else:
        container = make_container(database_url)
    if request.param in {"postgres", "pgbouncer"}:
        request.getfixturevalue("clean_tables")
    else:
        use_memory(container)
    return container


@pytest.fixture
async def client(container: Container) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(container)) as client:
        yield client
