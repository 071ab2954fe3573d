"""Lists and manual order over HTTP (docs/api.md, "Lists and manual order"), through the real app,
on every storage."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.http.conftest import Client, auth
from tests.http.test_tasks_api import ALICE, BOB, assert_problem, comparable, create

LISTS = "/api/lists"


async def make_list(client: Client, name: str = "Groceries", user: str = ALICE) -> dict[str, Any]:
    response = await client.post(LISTS, json={"name": name}, headers=auth(user))
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


async def names(client: Client, user: str = ALICE) -> list[str]:
    response = await client.get(LISTS, headers=auth(user))
    assert response.status_code == 200
    return [item["name"] for item in response.json()["items"]]


def field_errors(problem: dict[str, Any]) -> list[str]:
    return [error["field"] for error in problem["errors"]]


# --- the life cycle ---------------------------------------------------------------------------


async def test_create_answers_201_with_location_etag_and_the_list(client: Client) -> None:
    response = await client.post(LISTS, json={"name": "  Groceries "}, headers=auth(ALICE))
    assert response.status_code == 201
    made = response.json()
    assert set(made) == {"id", "name", "position", "created_at", "updated_at", "version"}
    assert response.headers["location"] == f"/api/lists/{made['id']}"
    assert response.headers["etag"] == '"1"'
    assert (made["name"], made["version"]) == ("Groceries", 1)
    assert made["created_at"].endswith("Z")
    read = await client.get(f"{LISTS}/{made['id']}", headers=auth(ALICE))
    assert (read.status_code, read.json(), read.headers["etag"]) == (200, made, '"1"')


async def test_a_new_list_goes_last_and_lists_come_in_position_order(client: Client) -> None:
    for name in ("Work", "Home", "Errands"):
        await make_list(client, name)
    items = (await client.get(LISTS, headers=auth(ALICE))).json()["items"]
    assert [item["name"] for item in items] == ["Work", "Home", "Errands"]
    keys = [item["position"].encode() for item in items]
    assert keys == sorted(keys)
    assert len(set(keys)) == 3


async def test_if_none_match_on_a_current_list_gives_304(client: Client) -> None:
    made = await make_list(client)
    response = await client.get(f"{LISTS}/{made['id']}", headers={**auth(ALICE), "If-None-Match": '"1"'})
    assert (response.status_code, response.content, response.headers["etag"]) == (304, b"", '"1"')


async def test_patch_and_put_rename_with_a_new_version(client: Client) -> None:
    made = await make_list(client)
    patched = await client.patch(f"{LISTS}/{made['id']}", json={"name": "Food"}, headers=auth(ALICE))
    assert (patched.status_code, patched.json()["name"], patched.json()["version"]) == (200, "Food", 2)
    assert patched.headers["etag"] == '"2"'
    put = await client.put(f"{LISTS}/{made['id']}", json={"name": "Shop"}, headers=auth(ALICE))
    assert (put.json()["name"], put.json()["version"], put.json()["position"]) == (
        "Shop",
        3,
        made["position"],
    )


async def test_a_rename_to_the_same_name_or_an_empty_patch_changes_nothing(client: Client) -> None:
    made = await make_list(client)
    same = await client.patch(f"{LISTS}/{made['id']}", json={"name": " Groceries"}, headers=auth(ALICE))
    empty = await client.patch(f"{LISTS}/{made['id']}", json={}, headers=auth(ALICE))
    assert same.json() == empty.json() == made


async def test_put_requires_a_name(client: Client) -> None:
    made = await make_list(client)
    problem = assert_problem(
        await client.put(f"{LISTS}/{made['id']}", json={}, headers=auth(ALICE)), 422, "validation-failed"
    )
    assert field_errors(problem) == ["name"]


@pytest.mark.parametrize(
    ("name", "accepted"),
    [
        ("x" * 100, True),
        ("  " + "x" * 100 + "  ", True),
        ("x" * 101, False),
        ("", False),
        ("   ", False),
        ("two\nlines", False),
        ("nul\u0000", False),
    ],
    ids=["100", "100-trimmed", "101", "empty", "blank", "newline", "nul"],
)
async def test_a_name_is_1_to_100_characters_after_trimming_without_controls(
    client: Client, name: str, accepted: bool
) -> None:
    response = await client.post(LISTS, json={"name": name}, headers=auth(ALICE))
    if accepted:
        assert response.status_code == 201
        assert response.json()["name"] == name.strip()
    else:
        assert field_errors(assert_problem(response, 422, "validation-failed")) == ["name"]


@pytest.mark.parametrize(
    "body", [{"name": "x", "colour": "red"}, {"name": "x", "position": "a0"}, {"name": 3}]
)
async def test_unknown_fields_server_fields_and_wrong_types_are_422(
    client: Client, body: dict[str, Any]
) -> None:
    assert_problem(await client.post(LISTS, json=body, headers=auth(ALICE)), 422, "validation-failed")


async def test_if_match_that_does_not_match_is_412_and_changes_nothing(client: Client) -> None:
    made = await make_list(client)
    other = await make_list(client, "Other")
    stale = {**auth(ALICE), "If-Match": '"7"'}
    path = f"{LISTS}/{made['id']}"
    for response in (
        await client.patch(path, json={"name": "x"}, headers=stale),
        await client.put(path, json={"name": "x"}, headers=stale),
        await client.post(f"{path}/move", json={"after": other["id"]}, headers=stale),
        await client.delete(path, headers=stale),
    ):
        assert_problem(response, 412, "precondition-failed")
        assert response.headers["etag"] == '"1"'
    assert (await client.get(path, headers=auth(ALICE))).json() == made


async def test_if_match_that_matches_lets_the_write_through(client: Client) -> None:
    made = await make_list(client)
    response = await client.patch(
        f"{LISTS}/{made['id']}", json={"name": "Food"}, headers={**auth(ALICE), "If-Match": '"1"'}
    )
    assert response.status_code == 200


async def test_create_with_an_idempotency_key_is_replayed_and_creates_one_list(client: Client) -> None:
    headers = {**auth(ALICE), "Idempotency-Key": "list-1"}
    first = await client.post(LISTS, json={"name": "Groceries"}, headers=headers)
    again = await client.post(LISTS, json={"name": "Groceries"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await names(client) == ["Groceries"]
    other = await client.post(LISTS, json={"name": "Other"}, headers=headers)
    assert_problem(other, 422, "idempotency-key-reused")


# --- isolation and ids ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PUT", "", {"name": "hijacked"}),
        ("PATCH", "", {"name": "hijacked"}),
        ("DELETE", "", None),
        ("POST", "/move", {"after": None}),
    ],
)
async def test_another_users_list_is_exactly_like_a_missing_one(
    client: Client, method: str, suffix: str, body: dict[str, Any] | None
) -> None:
    made = await make_list(client, user=ALICE)
    foreign = await client.request(method, f"{LISTS}/{made['id']}{suffix}", json=body, headers=auth(BOB))
    missing = await client.request(method, f"{LISTS}/{uuid.uuid4()}{suffix}", json=body, headers=auth(BOB))
    assert comparable(assert_problem(foreign, 404, "not-found")) == comparable(
        assert_problem(missing, 404, "not-found")
    )
    assert (await client.get(f"{LISTS}/{made['id']}", headers=auth(ALICE))).json() == made


async def test_each_user_sees_only_their_lists(client: Client) -> None:
    await make_list(client, "Alice's", user=ALICE)
    await make_list(client, "Bob's", user=BOB)
    assert await names(client, BOB) == ["Bob's"]


@pytest.mark.parametrize("list_id", ["not-a-uuid", "1", str(uuid.uuid4())])
async def test_malformed_and_unknown_list_ids_give_404(client: Client, list_id: str) -> None:
    assert_problem(await client.get(f"{LISTS}/{list_id}", headers=auth(ALICE)), 404, "not-found")


# --- deleting ---------------------------------------------------------------------------------


async def test_deleting_a_list_deletes_its_tasks_and_nothing_else(client: Client) -> None:
    groceries, work = await make_list(client), await make_list(client, "Work")
    doomed = [await create(client, title=f"buy {n}", list_id=groceries["id"]) for n in range(3)]
    kept = [await create(client, title="report", list_id=work["id"]), await create(client, title="inbox")]

    response = await client.delete(f"{LISTS}/{groceries['id']}", headers=auth(ALICE))
    assert (response.status_code, response.content) == (204, b"")
    assert_problem(await client.get(f"{LISTS}/{groceries['id']}", headers=auth(ALICE)), 404, "not-found")
    for task in doomed:
        assert_problem(await client.get(f"/api/tasks/{task['id']}", headers=auth(ALICE)), 404, "not-found")
    remaining = (await client.get("/api/tasks", headers=auth(ALICE))).json()["items"]
    assert {task["id"] for task in remaining} == {task["id"] for task in kept}
    assert await names(client) == ["Work"]


async def test_a_deleted_list_is_in_the_feed_with_each_of_its_tasks(client: Client) -> None:
    groceries = await make_list(client)
    task = await create(client, list_id=groceries["id"])
    start = (await client.get("/api/changes", headers=auth(ALICE))).json()["next_since"]
    await client.delete(f"{LISTS}/{groceries['id']}", headers=auth(ALICE))
    feed = (await client.get(f"/api/changes?since={start}", headers=auth(ALICE))).json()
    assert sorted((entry["type"], entry["id"], entry["deleted"]) for entry in feed["changes"]) == sorted(
        [("list", groceries["id"], True), ("task", task["id"], True)]
    )


# --- moving -----------------------------------------------------------------------------------


async def _three(client: Client) -> list[dict[str, Any]]:
    return [await make_list(client, name) for name in ("A", "B", "C")]


async def move(client: Client, moved: dict[str, Any], body: dict[str, Any]) -> Any:
    return await client.post(f"{LISTS}/{moved['id']}/move", json=body, headers=auth(ALICE))


@pytest.mark.parametrize(
    ("moved", "body", "order"),
    [
        ("C", {"after": None}, ["C", "A", "B"]),
        ("A", {"after": "B"}, ["B", "A", "C"]),
        ("A", {"after": "C"}, ["B", "C", "A"]),
        ("C", {"before": "A"}, ["C", "A", "B"]),
        ("A", {"before": "C"}, ["B", "A", "C"]),
    ],
)
async def test_a_move_places_the_list_after_or_before_a_sibling_or_first(
    client: Client, moved: str, body: dict[str, Any], order: list[str]
) -> None:
    by_name = {made["name"]: made for made in await _three(client)}
    request = {key: None if value is None else by_name[value]["id"] for key, value in body.items()}
    response = await move(client, by_name[moved], request)
    assert response.status_code == 200
    assert (response.json()["version"], response.headers["etag"]) == (2, '"2"')
    assert await names(client) == order


async def test_a_move_writes_the_moved_list_only(client: Client) -> None:
    a, b, c = await _three(client)
    await move(client, a, {"after": b["id"]})
    items = {item["id"]: item for item in (await client.get(LISTS, headers=auth(ALICE))).json()["items"]}
    assert items[b["id"]] == b
    assert items[c["id"]] == c


async def test_a_move_to_where_the_list_already_is_changes_nothing(client: Client) -> None:
    a, b, _ = await _three(client)
    response = await move(client, b, {"after": a["id"]})
    first = await move(client, a, {"after": None})
    assert response.json() == b
    assert first.json() == a


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "after"), ({"after": None, "before": None}, "before"), ({"before": None}, "before")],
    ids=["neither", "both", "before-null"],
)
async def test_a_move_needs_exactly_one_of_after_and_before(
    client: Client, body: dict[str, Any], field: str
) -> None:
    a, *_ = await _three(client)
    problem = assert_problem(await move(client, a, body), 422, "validation-failed")
    assert field_errors(problem) == [field]


async def test_a_move_next_to_a_list_that_is_not_a_sibling_is_422(client: Client) -> None:
    a, *_ = await _three(client)
    bobs = await make_list(client, "Bob's", user=BOB)
    for anchor in (bobs["id"], str(uuid.uuid4()), a["id"]):
        problem = assert_problem(await move(client, a, {"after": anchor}), 422, "validation-failed")
        assert field_errors(problem) == ["after"]


async def test_many_moves_into_one_gap_keep_the_order(client: Client) -> None:
    a, b, c = await _three(client)
    # Each move puts the list between A and the list moved just before it: the worst case.
    moved = [b, c]
    for _ in range(30):
        response = await move(client, moved[-2], {"after": a["id"]})
        assert response.status_code == 200
        moved.append(moved.pop(-2))
    items = (await client.get(LISTS, headers=auth(ALICE))).json()["items"]
    keys = [item["position"].encode() for item in items]
    assert keys == sorted(keys)
    assert items[0]["id"] == a["id"]


# --- the feed of tasks and lists --------------------------------------------------------------


async def test_the_feed_carries_tasks_and_lists_typed_in_commit_order(client: Client) -> None:
    groceries = await make_list(client)
    task = await create(client, list_id=groceries["id"])
    renamed = (
        await client.patch(f"{LISTS}/{groceries['id']}", json={"name": "Food"}, headers=auth(ALICE))
    ).json()
    feed = (await client.get("/api/changes", headers=auth(ALICE))).json()
    assert feed["changes"] == [
        {"type": "task", "id": task["id"], "deleted": False, "task": task},
        {"type": "list", "id": groceries["id"], "deleted": False, "list": renamed},
    ]
    assert feed["has_more"] is False


async def test_the_task_feed_keeps_its_task_only_shape(client: Client) -> None:
    await make_list(client)
    task = await create(client)
    feed = (await client.get("/api/tasks/changes", headers=auth(ALICE))).json()
    assert feed["changes"] == [{"id": task["id"], "deleted": False, "task": task}]


async def test_the_feed_pages_with_the_same_tokens(client: Client) -> None:
    for name in ("A", "B", "C"):
        await make_list(client, name)
    first = (await client.get("/api/changes?limit=2", headers=auth(ALICE))).json()
    rest = (await client.get(f"/api/changes?limit=2&since={first['next_since']}", headers=auth(ALICE))).json()
    assert [entry["list"]["name"] for entry in first["changes"] + rest["changes"]] == ["A", "B", "C"]
    assert (first["has_more"], rest["has_more"]) == (True, False)


async def test_the_feed_shows_only_the_callers_lists(client: Client) -> None:
    await make_list(client, user=BOB)
    assert (await client.get("/api/changes", headers=auth(ALICE))).json()["changes"] == []
