"""Rate limits and metrics through the real app (in process, in-memory storage).

The app's clock is a `FixedClock` that stands at the moment the app was made: a minute's window
never turns under a test unless the test moves the clock (tokens are issued by the real clock
just before, so they are valid at that moment)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dependency_injector import providers
from litestar.testing import AsyncTestClient

from taskhub.entrypoints.app import create_app
from taskhub.entrypoints.container import Container
from taskhub.entrypoints.settings import Settings
from tests.factories import FixedClock
from tests.http.conftest import SECRET, Client, auth
from tests.http.test_tasks_api import assert_problem
from tests.support.storage import use_memory


def app_with(database_url: str, clock: FixedClock | None = None, **settings: Any) -> Any:
    container = Container(settings=Settings(database_url=database_url, auth_secret=SECRET, **settings))
    container.clock.override(providers.Object(clock or FixedClock(datetime.now(UTC))))
    use_memory(container)
    return create_app(container)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC))


@pytest.fixture
async def client(database_url: str, clock: FixedClock) -> AsyncIterator[Client]:
    app = app_with(database_url, clock, rate_limit_per_minute=5, rate_limit_anon_per_minute=3)
    async with AsyncTestClient(app=app) as client:
        yield client


def someone() -> str:
    return f"user-{uuid.uuid4().hex[:8]}"


async def test_each_api_response_carries_the_rate_limit_headers(client: Client) -> None:
    response = await client.get("/api/tasks", headers=auth(someone()))
    assert (response.headers["ratelimit-limit"], response.headers["ratelimit-remaining"]) == ("5", "4")
    assert 0 <= int(response.headers["ratelimit-reset"]) <= 60


async def test_past_the_per_user_limit_requests_get_429_with_retry_after(client: Client) -> None:
    user = someone()
    statuses = [(await client.get("/api/tasks", headers=auth(user))).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    refused = await client.get("/api/tasks", headers=auth(user))
    problem = assert_problem(refused, 429, "rate-limited")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["ratelimit-remaining"] == "0"
    assert "retry" in problem["detail"].lower()


async def test_the_reset_header_counts_the_seconds_left_in_the_minute(
    client: Client, clock: FixedClock
) -> None:
    next_minute = clock.now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    clock.current = next_minute + timedelta(seconds=15)
    response = await client.get("/api/tasks", headers=auth(someone()))
    assert response.headers["ratelimit-reset"] == "45"


async def test_a_new_minute_starts_a_fresh_count(client: Client, clock: FixedClock) -> None:
    user = someone()
    for _ in range(5):
        await client.get("/api/tasks", headers=auth(user))
    assert (await client.get("/api/tasks", headers=auth(user))).status_code == 429
    clock.advance(60)
    fresh = await client.get("/api/tasks", headers=auth(user))
    assert (fresh.status_code, fresh.headers["ratelimit-remaining"]) == (200, "4")


async def test_users_have_separate_limits(client: Client) -> None:
    first, second = someone(), someone()
    for _ in range(5):
        await client.get("/api/tasks", headers=auth(first))
    assert (await client.get("/api/tasks", headers=auth(first))).status_code == 429
    assert (await client.get("/api/tasks", headers=auth(second))).status_code == 200


async def test_a_flood_of_bad_tokens_is_throttled_per_address(client: Client) -> None:
    statuses = [
        (await client.get("/api/tasks", headers={"Authorization": f"Bearer junk{i}"})).status_code
        for i in range(5)
    ]
    assert statuses == [401, 401, 401, 429, 429]


async def test_health_and_metrics_are_never_limited(client: Client) -> None:
    for _ in range(10):
        await client.get("/api/tasks", headers={"Authorization": "Bearer junk"})
    assert {(await client.get(path)).status_code for path in ["/health/live", "/metrics"] * 5} == {200}


async def test_with_the_redis_store_down_requests_are_let_through(database_url: str) -> None:
    app = app_with(database_url, rate_limit_per_minute=1, redis_url="redis://127.0.0.1:1/0")
    async with AsyncTestClient(app=app) as client:
        user = someone()
        statuses = {(await client.get("/api/tasks", headers=auth(user))).status_code for _ in range(3)}
        metrics = (await client.get("/metrics")).text
    assert statuses == {200}
    assert "taskhub_rate_limit_store_errors_total" in metrics


# --- metrics ----------------------------------------------------------------------------------


def sample(metrics: str, prefix: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines() if line.startswith(prefix))


async def test_metrics_count_requests_auth_failures_and_rate_limits(client: Client) -> None:
    before = (await client.get("/metrics")).text
    user = someone()
    for _ in range(6):
        await client.get("/api/tasks", headers=auth(user))
    await client.get("/api/tasks", headers={"Authorization": "Bearer junk"})
    after = (await client.get("/metrics")).text

    route = 'taskhub_http_requests_total{method="GET",route="/api/tasks",status="200"}'
    assert sample(after, route) - sample(before, route) == 5
    limited = 'taskhub_rate_limited_total{scope="user"}'
    assert sample(after, limited) - sample(before, limited) == 1
    failures = 'taskhub_auth_failures_total{reason="malformed"}'
    assert sample(after, failures) - sample(before, failures) == 1
    assert "taskhub_http_request_duration_seconds_bucket" in after
    assert 'taskhub_db_pool_connections{pool="reads",state="in_use"}' in after


async def test_metrics_can_be_turned_off(database_url: str) -> None:
    async with AsyncTestClient(app=app_with(database_url, metrics_enabled=False)) as client:
        assert (await client.get("/metrics")).status_code == 404
