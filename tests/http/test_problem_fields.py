"""Validation problems name what the client sent, as the client named it (docs/api.md, Errors):
`errors: [{"field": ..., "message": ...}]`, so a client can show each message next to its input."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest

from taskhub.application.cursors import encode_cursor
from taskhub.domain.listing import PageKey, Sort, TaskFilter
from taskhub.domain.model import TaskId
from tests.http.conftest import Client, auth
from tests.http.test_tasks_api import ALICE, assert_problem, create


def title_cursor(title: str) -> str:
    return encode_cursor(Sort.parse("title"), TaskFilter(), PageKey(title, TaskId(uuid.uuid4())))


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


@pytest.mark.parametrize("body", [b'["title"]', b'"title"', b"42", b"null"])
async def test_a_body_that_is_not_an_object_is_422_naming_no_field(client: Client, body: bytes) -> None:
    response = await client.post(
        "/api/tasks", content=body, headers={**auth(ALICE), "Content-Type": "application/json"}
    )
    problem = assert_problem(response, 422, "validation-failed")
    assert "errors" not in problem
    assert "JSON object" in problem["detail"]


async def test_every_field_at_fault_is_named_at_once_in_the_order_sent(client: Client) -> None:
    body = {"colour": "red", "priority": 3, "title": "t", "size": 1, "tags": ["a", 7], "due_at": "soon"}
    response = await client.post("/api/tasks", json=body, headers=auth(ALICE))
    assert fields_of(assert_problem(response, 422, "validation-failed")) == [
        "colour",
        "priority",
        "size",
        "tags[1]",
        "due_at",
    ]


async def test_unknown_and_missing_fields_are_named_together(client: Client) -> None:
    response = await client.post("/api/tasks", json={"titel": "typo", "foo": 1}, headers=auth(ALICE))
    assert fields_of(assert_problem(response, 422, "validation-failed")) == ["titel", "foo", "title"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"title": 42}, "must be a string"),
        ({"title": "t", "completed": "yes"}, "must be true or false"),
        ({"title": "t", "priority": "urgent"}, "must be one of none, low, medium, high"),
        ({"title": "t", "due_at": "soon"}, "must be an RFC 3339 timestamp such as 2026-12-24T18:00:00Z"),
        ({"title": "t", "due_at": "2026-12-24T18:00:00"}, "must carry a UTC offset (Z, or +01:00)"),
        ({"title": "t", "due_at": 5}, "must be an RFC 3339 timestamp or null"),
        ({"title": "t", "description": "d" * 5001}, "must be at most 5000 characters"),
        ({"title": "t", "tags": "home"}, "must be an array"),
    ],
)
async def test_messages_are_plain_words_without_regexes_or_type_names(
    client: Client, body: dict[str, Any], message: str
) -> None:
    response = await client.post("/api/tasks", json=body, headers=auth(ALICE))
    problem = assert_problem(response, 422, "validation-failed")
    assert [e["message"] for e in problem["errors"]] == [message]


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
        ("tag=a%00", "tag"),
        ("tag=a%0Ab", "tag"),
        # A title cursor holding what no title can: refused before it reaches the database.
        (f"sort=title&cursor={title_cursor('a' + chr(0))}", "cursor"),
    ],
)
async def test_a_bad_query_parameter_is_400_naming_it(client: Client, query: str, parameter: str) -> None:
    response = await client.get(f"/api/tasks?{query}", headers=auth(ALICE))
    assert fields_of(assert_problem(response, 400, "invalid-parameter")) == [parameter]


@pytest.mark.parametrize("sequence", [2**63, 10**20, -1])
async def test_a_sync_token_out_of_range_is_400_naming_since(client: Client, sequence: int) -> None:
    token = base64.urlsafe_b64encode(json.dumps({"v": 1, "s": sequence}).encode()).decode().rstrip("=")
    response = await client.get(f"/api/tasks/changes?since={token}", headers=auth(ALICE))
    assert fields_of(assert_problem(response, 400, "invalid-parameter")) == ["since"]
