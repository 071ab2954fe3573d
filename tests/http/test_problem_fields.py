"""Validation problems name what the client sent, as the client named it (docs/api.md, Errors):
`errors: [{"field": ..., "message": ...}]`, so a client can show each message next to its input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.conftest import Client, auth
from tests.http.test_tasks_api import ALICE, assert_problem, create


def fields_of(problem: dict[str, Any]) -> list[str]:
    assert all(set(error) == {"field", "message"} for error in problem["errors"]), problem
    assert all(error["message"] for error in problem["errors"])
    return [error["field"] for error in problem["errors"]]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"title": "t", "colour": "red"}, ["colour"]),
        ({"title": "t", "owner id": "bob"}, ["owner id"]),
        ({"description": "no title"}, ["title"]),
        ({"title": "t", "tags": ["a", "b", "x" * 41]}, ["tags[2]"]),
        (
            {"title": "x" * 201, "tags": ["x" * 41], "time_zone": "Nowhere/Land"},
            ["title", "time_zone", "tags[0]"],
        ),
    ],
)
async def test_a_create_names_each_field_at_fault(
    client: Client, body: dict[str, Any], fields: list[str]
) -> None:
    response = await client.post("/api/tasks", json=body, headers=auth(ALICE))
    assert fields_of(assert_problem(response, 422, "validation-failed")) == fields


async def test_a_replacement_without_its_required_title_names_title(client: Client) -> None:
    task = await create(client)
    response = await client.put(f"/api/tasks/{task['id']}", json={"priority": "high"}, headers=auth(ALICE))
    assert fields_of(assert_problem(response, 422, "validation-failed")) == ["title"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"colour": "red"}, ["colour"]),
        ({"tags": ["home", "x" * 41]}, ["tags[1]"]),
        ({"tags": ["home", 7]}, ["tags[1]"]),
        ({"due_at": "soon"}, ["due_at"]),
        ({"title": "   "}, ["title"]),
    ],
)
async def test_a_patch_names_each_field_at_fault(
    client: Client, body: dict[str, Any], fields: list[str]
) -> None:
    task = await create(client)
    response = await client.patch(f"/api/tasks/{task['id']}", json=body, headers=auth(ALICE))
    assert fields_of(assert_problem(response, 422, "validation-failed")) == fields


async def test_a_body_of_the_wrong_shape_altogether_names_no_field(client: Client) -> None:
    response = await client.post("/api/tasks", json=["title"], headers=auth(ALICE))
    assert fields_of(assert_problem(response, 422, "validation-failed")) == [""]


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("If-Match", "3"),
        ("If-Match", '"3", junk'),
        ("If-Match", '"' + "9" * 2000 + '"'),
    ],
)
async def test_a_malformed_precondition_header_is_400_naming_the_header(
    client: Client, header: str, value: str
) -> None:
    task = await create(client)
    response = await client.patch(
        f"/api/tasks/{task['id']}", json={"title": "x"}, headers={**auth(ALICE), header: value}
    )
    assert fields_of(assert_problem(response, 400, "invalid-parameter")) == [header]


async def test_a_malformed_if_none_match_is_400_naming_the_header(client: Client) -> None:
    task = await create(client)
    for value in ("3", '"' + "9" * 2000 + '"'):
        response = await client.get(
            f"/api/tasks/{task['id']}", headers={**auth(ALICE), "If-None-Match": value}
        )
        assert fields_of(assert_problem(response, 400, "invalid-parameter")) == ["If-None-Match"]


@pytest.mark.parametrize("key", [b"x" * 256, "caf\u00e9".encode(), b"tab\there"])
async def test_a_malformed_idempotency_key_is_400_naming_the_header(client: Client, key: bytes) -> None:
    response = await client.post(
        "/api/tasks", json={"title": "t"}, headers={**auth(ALICE), "Idempotency-Key": key}
    )
    assert fields_of(assert_problem(response, 400, "invalid-parameter")) == ["Idempotency-Key"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("limit=0", "limit"),
        ("completed=maybe", "completed"),
        ("sort=colour", "sort"),
        ("priority=urgent", "priority"),
        ("due_before=tomorrow", "due_before"),
        ("cursor=garbage", "cursor"),
    ],
)
async def test_a_bad_query_parameter_is_400_naming_it(client: Client, query: str, parameter: str) -> None:
    response = await client.get(f"/api/tasks?{query}", headers=auth(ALICE))
    assert fields_of(assert_problem(response, 400, "invalid-parameter")) == [parameter]
