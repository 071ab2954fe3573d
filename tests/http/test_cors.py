"""Browsers on other origins (docs/api.md, Limits: CORS): CORS_ORIGINS, plus any local dev server
in development only; never `null`; refusals are problems; every /api response keeps its headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from taskhub.entrypoints.app import create_app
from taskhub.entrypoints.container import Container
from taskhub.entrypoints.settings import Environment, Settings
from tests.http.conftest import SECRET, Client, auth
from tests.support.storage import use_memory

APP_ORIGIN = "https://app.example.com"
DEVELOPMENT, PRODUCTION = Environment.DEVELOPMENT, Environment.PRODUCTION


@asynccontextmanager
async def client_in(environment: Environment, *origins: str) -> AsyncIterator[Client]:
    settings = Settings(
        environment=environment,
        database_url="postgresql://unused@localhost/unused",
        auth_secret=SECRET,
        cors_origins=origins,
    )
    container = Container(settings=settings)
    use_memory(container)
    async with AsyncTestClient(app=create_app(container)) as client:
        yield client


async def preflight(client: Client, origin: str, path: str = "/api/tasks") -> Any:
    return await client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, content-type, if-match, idempotency-key",
        },
    )


@pytest.mark.parametrize(
    "origin", ["http://localhost:3000", "http://127.0.0.1:5173", "http://localhost", "http://localhost:65535"]
)
async def test_in_development_a_local_front_end_is_allowed_without_configuration(origin: str) -> None:
    async with client_in(DEVELOPMENT) as client:
        response = await preflight(client, origin)
        actual = await client.get("/api/tasks", headers={**auth("ada"), "Origin": origin})
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == origin
    assert actual.headers["access-control-allow-origin"] == origin


@pytest.mark.parametrize(
    "origin",
    [
        "https://localhost:3000",
        "http://localhost.evil.example:3000",
        "http://evil.example/http://localhost:3000",
        "http://192.168.1.10:3000",
        "null",
    ],
)
async def test_in_development_other_origins_are_still_refused(origin: str) -> None:
    async with client_in(DEVELOPMENT) as client:
        response = await preflight(client, origin)
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("origin", ["http://localhost:3000", "http://127.0.0.1:5173", "null"])
async def test_in_production_no_local_origin_is_allowed(origin: str) -> None:
    async with client_in(PRODUCTION, APP_ORIGIN) as client:
        response = await preflight(client, origin)
        actual = await client.get("/api/tasks", headers={**auth("ada"), "Origin": origin})
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-origin" not in actual.headers


async def test_null_is_refused_even_when_every_origin_is_allowed() -> None:
    async with client_in(PRODUCTION, "*") as client:
        assert (await preflight(client, "https://anyone.example")).status_code == 204
        refused = await preflight(client, "null")
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers


async def test_a_listed_origin_may_send_and_read_what_the_contract_lists() -> None:
    async with client_in(PRODUCTION, APP_ORIGIN) as client:
        response = await preflight(client, APP_ORIGIN)
        created = await client.post(
            "/api/tasks", json={"title": "t"}, headers={**auth("ada"), "Origin": APP_ORIGIN}
        )
    assert response.status_code == 204
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "if-match", "if-none-match", "idempotency-key"} <= allowed
    methods = {m.strip() for m in response.headers["access-control-allow-methods"].split(",")}
    assert {"GET", "POST", "PUT", "PATCH", "DELETE"} <= methods
    assert created.status_code == 201
    assert created.headers["access-control-allow-origin"] == APP_ORIGIN
    exposed = {h.strip().lower() for h in created.headers["access-control-expose-headers"].split(",")}
    assert {"etag", "location", "ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"} <= exposed
    assert {"retry-after", "x-request-id"} <= exposed


async def test_a_preflight_to_the_api_carries_the_api_headers_whatever_its_answer() -> None:
    async with client_in(PRODUCTION, APP_ORIGIN) as client:
        for response in (
            await preflight(client, APP_ORIGIN),
            await preflight(client, "https://evil.example"),
        ):
            assert response.headers["cache-control"] == "no-store"
            assert response.headers["x-content-type-options"] == "nosniff"
            assert len(response.headers["x-request-id"]) == 32
            assert "origin" in response.headers["vary"].lower()


async def test_a_refused_preflight_is_a_problem_document() -> None:
    async with client_in(PRODUCTION, APP_ORIGIN) as client:
        response = await preflight(client, "https://evil.example")
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:taskhub:problem:origin-not-allowed"
    assert (problem["status"], problem["instance"]) == (403, "/api/tasks")
    assert problem["request_id"] == response.headers["x-request-id"]


async def test_without_any_allowed_origin_no_cors_header_is_sent() -> None:
    async with client_in(PRODUCTION) as client:
        response = await client.get("/api/tasks", headers={**auth("ada"), "Origin": APP_ORIGIN})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


async def test_a_plain_options_request_is_not_a_preflight() -> None:
    async with client_in(DEVELOPMENT) as client:
        response = await client.options("/api/tasks", headers={"Origin": "http://localhost:3000"})
    assert "access-control-allow-methods" not in response.headers
