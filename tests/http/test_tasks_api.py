"""The /api/tasks contract over HTTP (docs/api.md), through the real app."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.http.conftest import Client, auth

ALICE, BOB = "alice", "bob"
PROBLEM = "application/problem+json"


async def create(client: Client, user: str = ALICE, **body: Any) -> dict[str, Any]:
    body.setdefault("title", "Buy milk")
    response = await client.post("/api/tasks", json=body, headers=auth(user))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def assert_problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"] == f"urn:taskhub:problem:{slug}"
    assert body["request_id"] == response.headers["x-request-id"]
    return body


# --- the life cycle ---------------------------------------------------------------------------


async def test_create_answers_201_with_location_etag_and_the_task(client: Client) -> None:
    response = await client.post(
        "/api/tasks",
        json={"title": "  Buy milk ", "tags": ["home", "home", "shop"], "priority": "high"},
        headers=auth(ALICE),
    )
    assert response.status_code == 201
    task = response.json()
    assert response.headers["location"] == f"/api/tasks/{task['id']}"
    assert response.headers["etag"] == '"1"'
    assert task["title"] == "Buy milk"
    assert task["tags"] == ["home", "shop"]
    assert task["priority"] == "high"
    assert (task["completed"], task["completed_at"], task["version"]) == (False, None, 1)
    assert task["created_at"].endswith("Z")


async def test_a_created_task_is_read_back(client: Client) -> None:
    task = await create(client, description="two\nlines", due_at="2026-12-24T18:00:00+01:00")
    response = await client.get(f"/api/tasks/{task['id']}", headers=auth(ALICE))
    assert response.status_code == 200
    assert response.json() == task
    assert response.json()["due_at"] == "2026-12-24T17:00:00Z"
    assert response.headers["etag"] == '"1"'


async def test_api_responses_are_not_cached_or_sniffed(client: Client) -> None:
    task = await create(client)
    response = await client.get(f"/api/tasks/{task['id']}", headers=auth(ALICE))
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_list_is_newest_first(client: Client) -> None:
    first = await create(client, title="first")
    second = await create(client, title="second")
    response = await client.get("/api/tasks", headers=auth(ALICE))
    assert response.status_code == 200
    assert [t["id"] for t in response.json()["items"]] == [second["id"], first["id"]]
    assert response.json()["next_cursor"] is None
    assert "link" not in response.headers


async def test_the_list_pages_with_a_cursor_and_a_link_header(client: Client) -> None:
    created = [await create(client, title=f"task {i}") for i in range(5)]
    seen: list[str] = []
    url = "/api/tasks?limit=2"
    while url:
        response = await client.get(url, headers=auth(ALICE))
        page = response.json()
        seen += [t["id"] for t in page["items"]]
        if page["next_cursor"] is None:
            assert "link" not in response.headers
            break
        assert response.headers["link"] == f'</api/tasks?limit=2&cursor={page["next_cursor"]}>; rel="next"'
        url = f"/api/tasks?limit=2&cursor={page['next_cursor']}"
    assert seen == [t["id"] for t in reversed(created)]


async def test_put_replaces_every_field_and_resets_absent_ones(client: Client) -> None:
    task = await create(client, description="old", priority="high", tags=["a"], completed=True)
    response = await client.put(f"/api/tasks/{task['id']}", json={"title": "New"}, headers=auth(ALICE))
    assert response.status_code == 200
    replaced = response.json()
    assert (replaced["title"], replaced["description"], replaced["priority"], replaced["tags"]) == (
        "New",
        "",
        "none",
        [],
    )
    assert (replaced["completed"], replaced["completed_at"], replaced["version"]) == (False, None, 2)
    assert response.headers["etag"] == '"2"'


async def test_put_requires_a_title(client: Client) -> None:
    task = await create(client)
    response = await client.put(f"/api/tasks/{task['id']}", json={"description": "x"}, headers=auth(ALICE))
    assert_problem(response, 422, "validation-failed")


async def test_patch_changes_only_the_fields_sent(client: Client) -> None:
    task = await create(client, description="keep", tags=["home"])
    response = await client.patch(f"/api/tasks/{task['id']}", json={"priority": "low"}, headers=auth(ALICE))
    assert response.status_code == 200
    patched = response.json()
    assert patched == {**task, "priority": "low", "version": 2, "updated_at": patched["updated_at"]}


async def test_patch_accepts_merge_patch_json(client: Client) -> None:
    task = await create(client)
    response = await client.patch(
        f"/api/tasks/{task['id']}",
        content=json.dumps({"title": "Merged"}),
        headers={**auth(ALICE), "Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200
    assert response.json()["title"] == "Merged"


async def test_patch_with_null_clears_due_at_and_time_zone(client: Client) -> None:
    task = await create(client, due_at="2026-12-24T18:00:00Z", time_zone="Europe/Paris")
    response = await client.patch(
        f"/api/tasks/{task['id']}", json={"due_at": None, "time_zone": None}, headers=auth(ALICE)
    )
    assert (response.json()["due_at"], response.json()["time_zone"]) == (None, None)


async def test_an_empty_patch_changes_nothing(client: Client) -> None:
    task = await create(client)
    response = await client.patch(f"/api/tasks/{task['id']}", json={}, headers=auth(ALICE))
    assert response.status_code == 200
    assert response.json() == task


@pytest.mark.parametrize("field", ["title", "completed", "priority", "tags", "description"])
async def test_patch_with_null_for_a_required_field_is_refused(client: Client, field: str) -> None:
    task = await create(client)
    response = await client.patch(f"/api/tasks/{task['id']}", json={field: None}, headers=auth(ALICE))
    assert_problem(response, 422, "validation-failed")


async def test_complete_and_reopen_are_idempotent(client: Client) -> None:
    task = await create(client)
    done = await client.post(f"/api/tasks/{task['id']}/complete", headers=auth(ALICE))
    again = await client.post(f"/api/tasks/{task['id']}/complete", headers=auth(ALICE))
    assert done.status_code == again.status_code == 200
    assert done.json() == again.json()
    assert (again.json()["completed"], again.json()["version"]) == (True, 2)
    assert again.json()["completed_at"] is not None

    reopened = await client.post(f"/api/tasks/{task['id']}/reopen", headers=auth(ALICE))
    repeated = await client.post(f"/api/tasks/{task['id']}/reopen", headers=auth(ALICE))
    assert reopened.json() == repeated.json()
    assert (repeated.json()["completed"], repeated.json()["completed_at"], repeated.json()["version"]) == (
        False,
        None,
        3,
    )


async def test_delete_answers_204_and_the_task_is_gone(client: Client) -> None:
    task = await create(client)
    response = await client.delete(f"/api/tasks/{task['id']}", headers=auth(ALICE))
    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await client.get(f"/api/tasks/{task['id']}", headers=auth(ALICE)), 404, "not-found")
    assert (await client.get("/api/tasks", headers=auth(ALICE))).json()["items"] == []


async def test_deleting_twice_gives_404(client: Client) -> None:
    task = await create(client)
    await client.delete(f"/api/tasks/{task['id']}", headers=auth(ALICE))
    assert_problem(await client.delete(f"/api/tasks/{task['id']}", headers=auth(ALICE)), 404, "not-found")


# --- isolation --------------------------------------------------------------------------------


def comparable(problem: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in problem.items() if k not in {"request_id", "instance"}}


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PUT", "", {"title": "hijacked"}),
        ("PATCH", "", {"title": "hijacked"}),
        ("DELETE", "", None),
        ("POST", "/complete", None),
        ("POST", "/reopen", None),
    ],
)
async def test_another_users_task_is_exactly_like_a_missing_one(
    client: Client, method: str, suffix: str, body: dict[str, Any] | None
) -> None:
    task = await create(client, user=ALICE)
    foreign = await client.request(method, f"/api/tasks/{task['id']}{suffix}", json=body, headers=auth(BOB))
    missing = await client.request(method, f"/api/tasks/{uuid.uuid4()}{suffix}", json=body, headers=auth(BOB))
    assert comparable(assert_problem(foreign, 404, "not-found")) == comparable(
        assert_problem(missing, 404, "not-found")
    )
    unchanged = await client.get(f"/api/tasks/{task['id']}", headers=auth(ALICE))
    assert unchanged.json() == task


async def test_the_list_shows_only_the_callers_tasks(client: Client) -> None:
    await create(client, user=ALICE, title="alice's")
    bobs = await create(client, user=BOB, title="bob's")
    response = await client.get("/api/tasks", headers=auth(BOB))
    assert response.json()["items"] == [bobs]


# --- ids --------------------------------------------------------------------------------------


@pytest.mark.parametrize("task_id", ["not-a-uuid", "1", "..%2F..%2Fetc", str(uuid.uuid4())])
async def test_malformed_and_unknown_ids_give_404(client: Client, task_id: str) -> None:
    assert_problem(await client.get(f"/api/tasks/{task_id}", headers=auth(ALICE)), 404, "not-found")


# --- validation at each boundary --------------------------------------------------------------


ACCEPTED = None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x" * 200}, ACCEPTED),
        ({"title": "x" * 201}, "title"),
        # Limits count what is left after trimming.
        ({"title": "  " + "x" * 200 + "  "}, ACCEPTED),
        ({"title": "\t" + "x" * 200 + "\n"}, ACCEPTED),
        ({"title": "a\tb"}, "title"),
        ({"title": " " * 300 + "x"}, ACCEPTED),
        ({"title": "t", "description": "d" * 5000}, ACCEPTED),
        ({"title": "t", "description": "d" * 5001}, "description"),
        ({"title": "t", "tags": [f"t{i}" for i in range(20)]}, ACCEPTED),
        ({"title": "t", "tags": [f"t{i}" for i in range(21)]}, "tags"),
        # Duplicates are removed before counting.
        ({"title": "t", "tags": ["a"] * 25 + [f"t{i}" for i in range(19)]}, ACCEPTED),
        ({"title": "t", "tags": [" a", "a ", "a"] * 10}, ACCEPTED),
        ({"title": "t", "tags": ["x" * 40]}, ACCEPTED),
        ({"title": "t", "tags": ["  " + "x" * 40 + "  "]}, ACCEPTED),
        ({"title": "t", "tags": ["x" * 41]}, "tags[0]"),
        ({"title": "t", "tags": ["a", "b", "x" * 41]}, "tags[2]"),
        ({"title": "t", "tags": ["a", ""]}, "tags[1]"),
        ({"title": "t", "tags": ["a", "   "]}, "tags[1]"),
        ({"title": "a\x00b"}, "title"),
        ({"title": "t", "description": "nul \x00 byte"}, "description"),
        ({"title": "🥛🍪 emoji"}, ACCEPTED),
        ({"title": "שלום עולם"}, ACCEPTED),
        ({"title": "   "}, "title"),
        ({"title": ""}, "title"),
        ({"title": "t", "time_zone": "Mars/Olympus"}, "time_zone"),
        ({"title": "t", "due_at": "2026-12-24T18:00:00"}, "due_at"),
        ({"title": "t", "due_at": "tomorrow"}, "due_at"),
        # Valid RFC 3339 whose instant in UTC falls outside the years 0001-9999.
        ({"title": "t", "due_at": "9999-12-31T23:59:59-05:00"}, "due_at"),
        ({"title": "t", "due_at": "0001-01-01T00:00:00+01:00"}, "due_at"),
        ({"title": "t", "due_at": "9999-12-31T23:59:59+00:00"}, ACCEPTED),
        ({"title": "t", "priority": "urgent"}, "priority"),
        ({"description": "no title"}, "title"),
    ],
)
async def test_each_rule_is_checked_at_its_boundary_and_names_its_field(
    client: Client, body: dict[str, Any], field: str | None
) -> None:
    response = await client.post("/api/tasks", json=body, headers=auth(ALICE))
    if field is ACCEPTED:
        assert response.status_code == 201, response.text
    else:
        problem = assert_problem(response, 422, "validation-failed")
        assert [e["field"] for e in problem["errors"]] == [field]
        assert all(e["message"] for e in problem["errors"])


async def test_a_trimmed_title_is_stored_and_returned_without_its_whitespace(client: Client) -> None:
    created = await create(client, title="  " + "x" * 200 + "  ", tags=["  home  "])
    assert (created["title"], created["tags"]) == ("x" * 200, ["home"])


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("title", 42, "title"),
        ("title", None, "title"),
        ("description", ["a"], "description"),
        ("completed", "true", "completed"),
        ("completed", 1, "completed"),
        ("priority", 2, "priority"),
        ("due_at", 1700000000, "due_at"),
        ("time_zone", 5, "time_zone"),
        ("tags", "home", "tags"),
        ("tags", [1, 2], "tags[0]"),
        ("tags", ["home", None], "tags[1]"),
    ],
)
async def test_a_wrong_type_for_any_field_is_422_naming_it(
    client: Client, field: str, value: Any, named: str
) -> None:
    body = {"title": "t", field: value}
    problem = assert_problem(
        await client.post("/api/tasks", json=body, headers=auth(ALICE)), 422, "validation-failed"
    )
    assert [e["field"] for e in problem["errors"]] == [named]


async def test_an_unknown_field_is_422(client: Client) -> None:
    problem = assert_problem(
        await client.post("/api/tasks", json={"title": "t", "owner_id": "bob"}, headers=auth(ALICE)),
        422,
        "validation-failed",
    )
    assert [e["field"] for e in problem["errors"]] == ["owner_id"]


@pytest.mark.parametrize("field", ["id", "version", "created_at", "completed_at"])
async def test_server_owned_fields_cannot_be_written(client: Client, field: str) -> None:
    response = await client.post("/api/tasks", json={"title": "t", field: "x"}, headers=auth(ALICE))
    assert_problem(response, 422, "validation-failed")


async def test_a_json_body_that_is_not_an_object_is_422(client: Client) -> None:
    response = await client.post("/api/tasks", json=["title"], headers=auth(ALICE))
    assert_problem(response, 422, "validation-failed")


@pytest.mark.parametrize(
    "raw",
    [b'{"title": ', b"not json", b'{"title": "a"} trailing', b"\xff\xfe", b'{"title": "\\ud800"}'],
)
async def test_malformed_json_is_400(client: Client, raw: bytes) -> None:
    response = await client.post(
        "/api/tasks", content=raw, headers={**auth(ALICE), "Content-Type": "application/json"}
    )
    assert_problem(response, 400, "malformed-json")


async def test_an_empty_body_is_400(client: Client) -> None:
    response = await client.post(
        "/api/tasks", content=b"", headers={**auth(ALICE), "Content-Type": "application/json"}
    )
    assert_problem(response, 400, "malformed-json")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
)
async def test_a_body_that_is_not_declared_json_is_415(client: Client, content_type: str) -> None:
    response = await client.post(
        "/api/tasks", content=b'{"title": "t"}', headers={**auth(ALICE), "Content-Type": content_type}
    )
    assert_problem(response, 415, "unsupported-media-type")


async def test_a_body_over_64_kib_is_413(client: Client) -> None:
    body = json.dumps({"title": "t", "description": "x" * (64 * 1024)})
    response = await client.post(
        "/api/tasks", content=body, headers={**auth(ALICE), "Content-Type": "application/json"}
    )
    assert_problem(response, 413, "body-too-large")


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=1000", "limit=ten", "cursor=garbage"])
async def test_bad_list_parameters_are_400_naming_the_parameter(client: Client, query: str) -> None:
    problem = assert_problem(
        await client.get(f"/api/tasks?{query}", headers=auth(ALICE)), 400, "invalid-parameter"
    )
    parameter = query.split("=", maxsplit=1)[0]
    assert [e["field"] for e in problem["errors"]] == [parameter]


# --- HTTP-level errors ------------------------------------------------------------------------


async def test_an_unsupported_method_is_405_with_allow(client: Client) -> None:
    response = await client.request("PATCH", "/api/tasks", headers=auth(ALICE))
    assert_problem(response, 405, "method-not-allowed")
    assert "POST" in response.headers["allow"]


async def test_an_unknown_route_is_a_404_problem(client: Client) -> None:
    assert_problem(await client.get("/api/nothing-here", headers=auth(ALICE)), 404, "not-found")


async def test_no_token_is_401_with_a_bearer_challenge(client: Client) -> None:
    response = await client.get("/api/tasks")
    problem = assert_problem(response, 401, "invalid-token")
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert "missing" in problem["detail"]


@pytest.mark.parametrize("request_id", ["abc-123", "A.b_c-9", "x" * 128])
async def test_a_sane_request_id_is_echoed(client: Client, request_id: str) -> None:
    response = await client.get("/api/tasks", headers={**auth(ALICE), "X-Request-ID": request_id})
    assert response.headers["x-request-id"] == request_id


@pytest.mark.parametrize("request_id", ["a:b", "a b", "a/b", "x" * 129, "caf\u00e9", "a\tb", ""])
async def test_a_request_id_outside_the_safe_set_is_replaced(client: Client, request_id: str) -> None:
    response = await client.get(
        "/api/tasks", headers={**auth(ALICE), "X-Request-ID": request_id.encode("utf-8")}
    )
    assert response.headers["x-request-id"] != request_id
    assert len(response.headers["x-request-id"]) == 32
