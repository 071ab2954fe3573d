"""taskhub as it is deployed: real `taskhub serve` processes sharing one PostgreSQL (and Redis)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from taskhub.adapters.jose_tokens import mint_shared_secret_token
from taskhub.adapters.postgres.migrations import upgrade
from tests.conftest import plain_dsn
from tests.http.conftest import token_for
from tests.support.services import (
    clear_of_a_rate_limit_window_edge,
    redis_server,
    running_service,
    service_environment,
)

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def migrated_database(fresh_database: Callable[[], str]) -> str:
    url = fresh_database()
    upgrade(url)
    return url


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def bearer(user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user)}"}


def test_two_instances_share_the_rate_limit_through_redis(migrated_database: str, redis_url: str) -> None:
    env = service_environment(migrated_database, REDIS_URL=redis_url, RATE_LIMIT_PER_MINUTE="6")
    user = f"shared-{uuid.uuid4().hex[:8]}"
    with running_service(env) as first, running_service(env) as second:
        clear_of_a_rate_limit_window_edge()
        statuses = [
            httpx.get(f"{(first, second)[i % 2].base_url}/api/tasks", headers=bearer(user)).status_code
            for i in range(8)
        ]
    assert statuses == [200] * 6 + [429, 429]


def test_without_redis_each_instance_counts_on_its_own(migrated_database: str) -> None:
    env = service_environment(migrated_database, RATE_LIMIT_PER_MINUTE="3")
    user = f"local-{uuid.uuid4().hex[:8]}"
    with running_service(env) as first, running_service(env) as second:
        clear_of_a_rate_limit_window_edge()
        statuses = [
            httpx.get(f"{(first, second)[i % 2].base_url}/api/tasks", headers=bearer(user)).status_code
            for i in range(6)
        ]
        assert httpx.get(f"{first.base_url}/api/tasks", headers=bearer(user)).status_code == 429
    assert statuses == [200] * 6


@pytest.mark.parametrize(
    ("trusted", "expected"), [("127.0.0.1/32", [401] * 6), ("", [401, 401, 429, 429, 429, 429])]
)
def test_forwarded_addresses_count_only_from_a_trusted_proxy(
    migrated_database: str, trusted: str, expected: list[int]
) -> None:
    env = service_environment(migrated_database, RATE_LIMIT_ANON_PER_MINUTE="2", TRUSTED_PROXIES=trusted)
    with running_service(env) as service:
        clear_of_a_rate_limit_window_edge()
        statuses = [
            httpx.get(
                f"{service.base_url}/api/tasks",
                headers={"Authorization": "Bearer junk", "X-Forwarded-For": f"203.0.113.{i}"},
            ).status_code
            for i in range(6)
        ]
        log = service.output()
    assert statuses == expected
    if trusted:
        assert "203.0.113.5" in log
    else:
        assert "203.0.113." not in log


def test_sigterm_drains_then_finishes_the_request_in_flight(migrated_database: str) -> None:
    env = service_environment(migrated_database, SHUTDOWN_DRAIN_SECONDS="1.5")
    user = f"slow-{uuid.uuid4().hex[:8]}"
    with running_service(env) as service:
        task = httpx.post(f"{service.base_url}/api/tasks", json={"title": "t"}, headers=bearer(user)).json()
        results: dict[str, int] = {}

        async def scenario() -> None:
            blocker = await asyncpg.connect(plain_dsn(migrated_database))
            transaction = blocker.transaction()
            await transaction.start()
            # Hold the row: the PATCH below waits on it, a slow request in flight.
            await blocker.execute("SELECT 1 FROM tasks WHERE id = $1 FOR UPDATE", uuid.UUID(task["id"]))
            slow = threading.Thread(
                target=lambda: results.update(
                    patch=httpx.patch(
                        f"{service.base_url}/api/tasks/{task['id']}",
                        json={"title": "finished"},
                        headers=bearer(user),
                        timeout=30,
                    ).status_code
                )
            )
            slow.start()
            await asyncio.sleep(0.5)
            service.process.send_signal(15)
            await asyncio.sleep(0.3)
            async with httpx.AsyncClient(base_url=service.base_url) as probe:
                results["ready_while_draining"] = (await probe.get("/health/ready")).status_code
                results["live_while_draining"] = (await probe.get("/health/live")).status_code
            await asyncio.sleep(0.5)
            await transaction.rollback()
            await blocker.close()
            await asyncio.to_thread(slow.join, 30)

        asyncio.run(scenario())
        assert service.process.wait(timeout=30) == 0
    assert results == {"ready_while_draining": 503, "live_while_draining": 200, "patch": 200}


def test_the_logs_never_contain_secrets_tokens_passwords_or_task_text(migrated_database: str) -> None:
    password = "Pg-Passw0rd-" + uuid.uuid4().hex[:6]
    secret = "shared-secret-" + uuid.uuid4().hex
    url = make_url(migrated_database).set(password=password).render_as_string(hide_password=False)
    env = service_environment(url, LOG_FORMAT="json", LOG_LEVEL="DEBUG", BETTER_AUTH_SECRET=secret)

    token = mint_shared_secret_token(secret, "log-user", timedelta(minutes=5))
    title, description = "TopSecretTitle-" + uuid.uuid4().hex[:6], "PrivateNote-" + uuid.uuid4().hex[:6]
    with running_service(env) as service:
        good = {"Authorization": f"Bearer {token}"}
        created = httpx.post(
            f"{service.base_url}/api/tasks", json={"title": title, "description": description}, headers=good
        )
        assert created.status_code == 201
        httpx.get(f"{service.base_url}/api/tasks?q={title}", headers=good)
        httpx.get(f"{service.base_url}/api/tasks", headers={"Authorization": f"Bearer {token}x"})
        httpx.post(f"{service.base_url}/api/tasks", content=b'{"title": "' + title.encode(), headers=good)
        service.stop()
        time.sleep(0.2)
        output = service.output()

    for forbidden in (password, secret, token, token[-40:], title, description):
        assert forbidden not in output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("event") == "request"]
    assert len(access) >= 4
    assert all(line["request_id"] and line["route"] and line["status"] for line in access)
    assert any(line.get("event") == "authentication failed" and line.get("reason") for line in lines)


def test_a_served_worker_opens_its_pools_at_start_up(migrated_database: str) -> None:
    env = service_environment(migrated_database, DB_POOL_SIZE="2", DB_READ_POOL_SIZE="3")
    wanted = {"writes": 2.0, "reads": 3.0}
    with running_service(env) as service:
        idle: dict[str, float] = {}
        deadline = time.monotonic() + 10
        # No request yet: only start-up can have opened these connections.
        while idle != wanted and time.monotonic() < deadline:
            metrics = httpx.get(f"{service.base_url}/metrics").text
            idle = {
                pool: sum(
                    float(line.rsplit(" ", 1)[1])
                    for line in metrics.splitlines()
                    if line.startswith(f'taskhub_db_pool_connections{{pool="{pool}",state="idle"}}')
                )
                for pool in wanted
            }
            time.sleep(0.2)
    assert idle == wanted
