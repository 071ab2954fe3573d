"""A task's list and position over HTTP (docs/api.md, "Lists and manual order"): `list_id` on
create, PUT and PATCH, the `list_id` filter and `sort=position`, on every storage."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.http.conftest import Client, auth
from tests.http.test_lists_api import field_errors, make_list
from tests.http.test_tasks_api import ALICE, BOB, assert_problem, create


async def titles(client: Client, query: str) -> list[str]:
    response = await client.get(f"/api/tasks?{query}", headers=auth(ALICE))
    assert response.status_code == 200, response.text
    return [task["title"] for task in response.json()["items"]]


async def test_a_task_without_a_list_is_in_the_inbox(client: Client) -> None:
    task = await create(client)
    assert task["list_id"] is None
    assert isinstance(task["position"], str)
    assert task["position"]


async def test_a_task_created_in_one_of_the_callers_lists_is_in_it(client: Client) -> None:
    groceries = await make_list(client)
    task = await create(client, list_id=groceries["id"])
    assert task["list_id"] == groceries["id"]
    read = await client.get(f"/api/tasks/{task['id']}", headers=auth(ALICE))
    assert read.json() == task


@pytest.mark.parametrize("whose", ["another user's", "an unknown", "a deleted"])
async def test_a_list_that_is_not_the_callers_is_422_on_list_id_and_reveals_nothing(
    client: Client, whose: str
) -> None:
    if whose == "another user's":
        list_id = (await make_list(client, user=BOB))["id"]
    elif whose == "a deleted":
        list_id = (await make_list(client))["id"]
        await client.delete(f"/api/lists/{list_id}", headers=auth(ALICE))
    else:
        list_id = str(uuid.uuid4())
    unknown = str(uuid.uuid4())
    mine = await create(client)
    for body_list in (list_id, unknown):
        created = await client.post(
            "/api/tasks", json={"title": "t", "list_id": body_list}, headers=auth(ALICE)
        )
        patched = await client.patch(
            f"/api/tasks/{mine['id']}", json={"list_id": body_list}, headers=auth(ALICE)
        )
        for response in (created, patched):
            problem = assert_problem(response, 422, "validation-failed")
            assert field_errors(problem) == ["list_id"]
            assert body_list not in response.text
    assert [task["id"] for task in (await client.get("/api/tasks", headers=auth(ALICE))).json()["items"]] == [
        mine["id"]
    ]


async def test_a_malformed_list_id_in_a_body_is_422_on_list_id(client: Client) -> None:
    response = await client.post(
        "/api/tasks", json={"title": "t", "list_id": "groceries"}, headers=auth(ALICE)
    )
    assert field_errors(assert_problem(response, 422, "validation-failed")) == ["list_id"]


async def test_new_tasks_go_last_among_their_siblings(client: Client) -> None:
    groceries = await make_list(client)
    in_list = [await create(client, title=f"g{n}", list_id=groceries["id"]) for n in range(3)]
    in_inbox = [await create(client, title=f"i{n}") for n in range(3)]
    for siblings in (in_list, in_inbox):
        keys = [task["position"].encode() for task in siblings]
        assert keys == sorted(keys)
        assert len(set(keys)) == 3


async def test_patching_list_id_moves_the_task_last_in_its_new_list_with_a_new_version(
    client: Client,
) -> None:
    groceries = await make_list(client)
    there = await create(client, title="there", list_id=groceries["id"])
    task = await create(client, title="moved")
    response = await client.patch(
        f"/api/tasks/{task['id']}", json={"list_id": groceries["id"]}, headers=auth(ALICE)
    )
    moved = response.json()
    assert (moved["list_id"], moved["version"]) == (groceries["id"], 2)
    assert moved["position"].encode() > there["position"].encode()
    assert await titles(client, f"list_id={groceries['id']}&sort=position") == ["there", "moved"]


async def test_put_without_list_id_puts_the_task_back_in_the_inbox(client: Client) -> None:
    groceries = await make_list(client)
    task = await create(client, list_id=groceries["id"])
    response = await client.put(f"/api/tasks/{task['id']}", json={"title": "t"}, headers=auth(ALICE))
    assert (response.json()["list_id"], response.json()["version"]) == (None, 2)


async def test_patching_the_same_list_id_changes_nothing(client: Client) -> None:
    groceries = await make_list(client)
    task = await create(client, list_id=groceries["id"])
    response = await client.patch(
        f"/api/tasks/{task['id']}", json={"list_id": groceries["id"]}, headers=auth(ALICE)
    )
    assert response.json() == task


async def test_position_is_read_only(client: Client) -> None:
    response = await client.post("/api/tasks", json={"title": "t", "position": "a0"}, headers=auth(ALICE))
    assert field_errors(assert_problem(response, 422, "validation-failed")) == ["position"]


# --- filters and sorting ----------------------------------------------------------------------


async def test_the_list_id_filter_takes_a_list_or_the_inbox(client: Client) -> None:
    groceries, work = await make_list(client), await make_list(client, "Work")
    await create(client, title="milk", list_id=groceries["id"])
    await create(client, title="report", list_id=work["id"])
    await create(client, title="call mum")
    assert await titles(client, f"list_id={groceries['id']}") == ["milk"]
    assert await titles(client, "list_id=inbox") == ["call mum"]
    assert await titles(client, f"list_id={work['id']}&q=report") == ["report"]
    assert await titles(client, f"list_id={work['id']}&q=milk") == []


async def test_a_list_id_filter_that_is_not_the_callers_gives_an_empty_page(client: Client) -> None:
    bobs = await make_list(client, user=BOB)
    await create(client, user=BOB, list_id=bobs["id"])
    await create(client)
    assert await titles(client, f"list_id={bobs['id']}") == []
    assert await titles(client, f"list_id={uuid.uuid4()}") == []


@pytest.mark.parametrize("value", ["groceries", "1", "INBOX", ""])
async def test_a_malformed_list_id_filter_is_400(client: Client, value: str) -> None:
    response = await client.get(f"/api/tasks?list_id={value}", headers=auth(ALICE))
    problem = assert_problem(response, 400, "invalid-parameter")
    assert field_errors(problem) == ["list_id"]


async def test_sort_by_position_pages_through_siblings_in_order(client: Client) -> None:
    groceries = await make_list(client)
    made = [await create(client, title=f"t{n}", list_id=groceries["id"]) for n in range(5)]
    seen: list[dict[str, Any]] = []
    url = f"/api/tasks?list_id={groceries['id']}&sort=position&limit=2"
    while url:
        response = await client.get(url, headers=auth(ALICE))
        seen += response.json()["items"]
        link = response.headers.get("link")
        url = link[1 : link.index(">")] if link else ""
    assert [task["id"] for task in seen] == [task["id"] for task in made]
    backwards = await titles(client, f"list_id={groceries['id']}&sort=-position")
    assert backwards == ["t4", "t3", "t2", "t1", "t0"]
