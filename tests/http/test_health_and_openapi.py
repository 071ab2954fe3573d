"""Probes, the storage-down path, and the OpenAPI document."""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator
from litestar.testing import AsyncTestClient
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from taskhub.entrypoints.app import YOUNG_COLLECTION_THRESHOLD, create_app
from tests.conftest import with_database
from tests.http.conftest import Client, auth, in_this_loop, make_container


async def test_liveness_is_200_without_a_token(client: Client) -> None:
    response = await client.get("/health/live")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readiness_is_200_when_the_database_is_migrated(database_url: str) -> None:
    async with AsyncTestClient(app=create_app(make_container(database_url))) as client:
        response = await client.get("/health/ready")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_readiness_is_503_when_the_schema_is_not_migrated(fresh_database: Callable[[], str]) -> None:
    empty = fresh_database()
    async with AsyncTestClient(app=create_app(make_container(empty))) as client:
        response = await client.get("/health/ready")
    assert (response.status_code, response.headers["retry-after"]) == (503, "2")
    assert response.json()["problems"] == ["database schema is not at the latest migration"]


async def test_readiness_is_503_when_the_database_is_unreachable(database_url: str) -> None:
    missing = with_database(database_url, "taskhub_no_such_database")
    async with AsyncTestClient(app=create_app(make_container(missing))) as client:
        ready = await client.get("/health/ready")
        live = await client.get("/health/live")
    assert (ready.status_code, ready.headers["retry-after"]) == (503, "2")
    assert live.status_code == 200


async def test_an_api_call_without_a_database_is_503_with_retry_after(database_url: str) -> None:
    missing = with_database(database_url, "taskhub_no_such_database")
    async with AsyncTestClient(app=create_app(make_container(missing))) as client:
        response = await client.get("/api/tasks", headers=auth("alice"))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "2"
    assert "taskhub_no_such_database" not in response.text


async def test_metrics_are_prometheus_text_with_one_charset(client: Client) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200
    content_type = response.headers["content-type"]
    assert content_type.startswith("text/plain; version=")
    assert content_type.count("charset") == 1


async def test_the_openapi_document_is_valid_openapi_3_1(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    validate(document)
    assert document["openapi"].startswith("3.1")


async def test_the_openapi_document_describes_every_route_with_bearer_auth(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    paths = document["paths"]
    assert set(paths) >= {
        "/api/tasks",
        "/api/tasks/{task_id}",
        "/api/tasks/{task_id}/complete",
        "/api/tasks/{task_id}/reopen",
        "/health/live",
        "/health/ready",
    }
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    create = paths["/api/tasks"]["post"]
    assert create["security"] == [{"bearer": []}]
    assert "application/problem+json" in create["responses"]["422"]["content"]
    assert "201" in create["responses"]


async def test_the_schema_states_the_domain_limits(client: Client) -> None:
    schemas = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    title = schemas["TaskCreate"]["properties"]["title"]
    # 200 characters after trimming: a limit JSON Schema cannot state, so the text does.
    assert "maxLength" not in title
    assert "1..200 characters after trimming" in title["description"]
    tags = schemas["TaskCreate"]["properties"]["tags"]["description"]
    assert "each 1..40 characters after trimming" in tags.lower()
    assert "at most 20 remain" in tags
    assert schemas["TaskCreate"]["properties"]["description"]["maxLength"] == 5000


async def test_after_start_up_young_objects_are_collected_in_batches_of_ten_thousand(
    database_url: str,
) -> None:
    before = gc.get_threshold()
    gc.set_threshold(700, *before[1:])  # CPython's default, whatever an earlier test's app set
    try:
        async with in_this_loop(create_app(make_container(database_url))):
            assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, *before[1:])
    finally:
        gc.set_threshold(*before)
    assert YOUNG_COLLECTION_THRESHOLD == 10_000


def _examples(document: dict[str, Any]) -> list[tuple[str, dict[str, Any], Any]]:
    """Every example the document gives for a request or response body, with its schema."""
    found = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            bodies = [("request", operation.get("requestBody", {}))]
            bodies += [(status, response) for status, response in operation.get("responses", {}).items()]
            for name, body in bodies:
                for media_type, content in body.get("content", {}).items():
                    for example in (content.get("examples") or {}).values():
                        where = f"{method.upper()} {path} {name} {media_type}"
                        found.append((where, content["schema"], example["value"]))
    return found


async def test_every_example_in_the_openapi_document_matches_its_schema(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    registry = Registry().with_resource("urn:taskhub", Resource.from_contents(document, DRAFT202012))
    examples = _examples(document)
    assert len(examples) > 20
    for where, schema, value in examples:
        reference = schema["$ref"].replace("#", "urn:taskhub#") if "$ref" in schema else None
        validator = Draft202012Validator({"$ref": reference} if reference else schema, registry=registry)
        errors = [error.message for error in validator.iter_errors(value)]
        assert not errors, f"{where}: {errors}"


async def test_every_api_operation_documents_the_problems_any_api_call_can_give(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    for path, item in document["paths"].items():
        if not path.startswith("/api"):
            continue
        for method, operation in item.items():
            statuses = set(operation["responses"])
            assert {"401", "429", "500", "503"} <= statuses, f"{method} {path}"
            for status in statuses - {"200", "201", "204", "304"}:
                assert "application/problem+json" in operation["responses"][status]["content"], (
                    method,
                    path,
                    status,
                )


async def test_a_patch_takes_json_and_merge_patch_bodies(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    content = document["paths"]["/api/tasks/{task_id}"]["patch"]["requestBody"]["content"]
    assert set(content) == {"application/json", "application/merge-patch+json"}
