"""Subtasks and the task move route over HTTP (docs/api.md, "Lists, subtasks and manual order"):
`parent_id` on create, PUT and PATCH with its 422s, what a change does to the rest of the tree,
`POST /api/tasks/{id}/move`, and the `parent_id` filter, on every storage."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.http.conftest import Client, auth
from tests.http.test_lists_api import field_errors, make_list
from tests.http.test_tasks_api import ALICE, BOB, assert_problem, create

PUT_FIELDS = {
    "title",
    "description",
    "completed",
    "priority",
    "due_at",
    "time_zone",
    "tags",
    "list_id",
    "parent_id",
}


async def read(client: Client, task: dict[str, Any], user: str = ALICE) -> dict[str, Any]:
    response = await client.get(f"/api/tasks/{task['id']}", headers=auth(user))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def chain(client: Client, *titles: str, **body: Any) -> list[dict[str, Any]]:
    """Tasks each a subtask of the one before."""
    made: list[dict[str, Any]] = []
    for title in titles:
        parent = {"parent_id": made[-1]["id"]} if made else body
        made.append(await create(client, title=title, **parent))
    return made


async def titles(client: Client, query: str, user: str = ALICE) -> list[str]:
    response = await client.get(f"/api/tasks?{query}", headers=auth(user))
    assert response.status_code == 200, response.text
    return [task["title"] for task in response.json()["items"]]


async def move(client: Client, task: dict[str, Any], body: dict[str, Any], **headers: str) -> Any:
    return await client.post(f"/api/tasks/{task['id']}/move", json=body, headers=auth(ALICE) | headers)


async def feed(client: Client, since: str | None = None) -> dict[str, Any]:
    query = "" if since is None else f"?since={since}"
    response = await client.get(f"/api/tasks/changes{query}", headers=auth(ALICE))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# --- parent_id ----------------------------------------------------------------------------------


async def test_a_task_is_top_level_unless_given_a_parent(client: Client) -> None:
    task = await create(client)
    assert task["parent_id"] is None


async def test_a_subtask_without_a_list_id_goes_into_its_parents_list(client: Client) -> None:
    groceries = await make_list(client)
    party, drinks = await chain(client, "Party", "Drinks", list_id=groceries["id"])
    assert (drinks["parent_id"], drinks["list_id"]) == (party["id"], groceries["id"])
    assert await read(client, drinks) == drinks


async def test_a_subtask_goes_last_among_its_siblings(client: Client) -> None:
    (party,) = await chain(client, "Party")
    steps = [await create(client, title=f"step {n}", parent_id=party["id"]) for n in range(3)]
    assert await titles(client, f"parent_id={party['id']}&sort=position") == ["step 0", "step 1", "step 2"]
    assert len({step["position"] for step in steps}) == 3


@pytest.mark.parametrize("whose", ["another user's", "an unknown", "a deleted"])
async def test_a_parent_that_is_not_the_callers_task_is_422_on_parent_id_and_reveals_nothing(
    client: Client, whose: str
) -> None:
    if whose == "another user's":
        parent = (await create(client, user=BOB))["id"]
    elif whose == "a deleted":
        parent = (await create(client))["id"]
        await client.delete(f"/api/tasks/{parent}", headers=auth(ALICE))
    else:
        parent = str(uuid.uuid4())
    mine = await create(client, title="mine")
    created = await client.post("/api/tasks", json={"title": "t", "parent_id": parent}, headers=auth(ALICE))
    patched = await client.patch(f"/api/tasks/{mine['id']}", json={"parent_id": parent}, headers=auth(ALICE))
    for response in (created, patched):
        assert field_errors(assert_problem(response, 422, "validation-failed")) == ["parent_id"]
        assert parent not in response.text
    assert await titles(client, "") == ["mine"]


async def test_a_task_cannot_be_its_own_parent(client: Client) -> None:
    task = await create(client)
    response = await client.patch(
        f"/api/tasks/{task['id']}", json={"parent_id": task["id"]}, headers=auth(ALICE)
    )
    assert field_errors(assert_problem(response, 422, "validation-failed")) == ["parent_id"]


async def test_a_task_cannot_go_under_its_own_descendant(client: Client) -> None:
    top, _, bottom = await chain(client, "top", "middle", "bottom")
    response = await client.patch(
        f"/api/tasks/{top['id']}", json={"parent_id": bottom["id"]}, headers=auth(ALICE)
    )
    assert field_errors(assert_problem(response, 422, "validation-failed")) == ["parent_id"]
    assert (await read(client, top))["version"] == 1


async def test_a_parent_in_another_list_is_422_on_parent_id(client: Client) -> None:
    groceries = await make_list(client)
    in_list = await create(client, list_id=groceries["id"])
    in_inbox = await create(client)
    body = {"title": "t", "parent_id": in_inbox["id"], "list_id": groceries["id"]}
    response = await client.post("/api/tasks", json=body, headers=auth(ALICE))
    assert field_errors(assert_problem(response, 422, "validation-failed")) == ["parent_id"]
    response = await client.patch(
        f"/api/tasks/{in_inbox['id']}", json={"parent_id": in_list["id"]}, headers=auth(ALICE)
    )
    assert field_errors(assert_problem(response, 422, "validation-failed")) == ["parent_id"]


async def test_four_levels_are_allowed_and_a_fifth_is_422_on_parent_id(client: Client) -> None:
    levels = await chain(client, "1", "2", "3", "4")
    response = await client.post(
        "/api/tasks", json={"title": "5", "parent_id": levels[-1]["id"]}, headers=auth(ALICE)
    )
    assert field_errors(assert_problem(response, 422, "validation-failed")) == ["parent_id"]
    two = await chain(client, "a", "b")
    response = await client.patch(
        f"/api/tasks/{two[0]['id']}", json={"parent_id": levels[2]["id"]}, headers=auth(ALICE)
    )
    assert field_errors(assert_problem(response, 422, "validation-failed")) == ["parent_id"]


async def test_a_malformed_parent_id_in_a_body_is_422_on_parent_id(client: Client) -> None:
    response = await client.post("/api/tasks", json={"title": "t", "parent_id": "mum"}, headers=auth(ALICE))
    assert field_errors(assert_problem(response, 422, "validation-failed")) == ["parent_id"]


async def test_put_without_parent_id_makes_the_task_top_level(client: Client) -> None:
    _parent, child = await chain(client, "parent", "child")
    response = await client.put(f"/api/tasks/{child['id']}", json={"title": "child"}, headers=auth(ALICE))
    assert response.status_code == 200, response.text
    assert (response.json()["parent_id"], response.json()["version"]) == (None, 2)


# --- what a change does to the rest of the tree -------------------------------------------------


async def test_changing_only_the_list_of_a_subtask_makes_it_top_level_in_that_list_with_its_subtree(
    client: Client,
) -> None:
    groceries = await make_list(client)
    top, middle, bottom = await chain(client, "top", "middle", "bottom")
    response = await client.patch(
        f"/api/tasks/{middle['id']}", json={"list_id": groceries["id"]}, headers=auth(ALICE)
    )
    assert response.status_code == 200, response.text
    assert (response.json()["list_id"], response.json()["parent_id"]) == (groceries["id"], None)
    moved_bottom = await read(client, bottom)
    assert (moved_bottom["list_id"], moved_bottom["parent_id"], moved_bottom["version"]) == (
        groceries["id"],
        middle["id"],
        2,
    )
    assert (await read(client, top))["version"] == 1


async def test_a_put_of_a_subtask_read_back_with_another_list_makes_it_top_level_there(
    client: Client,
) -> None:
    groceries = await make_list(client)
    _, child = await chain(client, "parent", "child")
    body = {k: v for k, v in (await read(client, child)).items() if k in PUT_FIELDS}
    response = await client.put(
        f"/api/tasks/{child['id']}", json=body | {"list_id": groceries["id"]}, headers=auth(ALICE)
    )
    assert response.status_code == 200, response.text
    assert (response.json()["list_id"], response.json()["parent_id"]) == (groceries["id"], None)


async def test_moving_a_task_to_another_list_moves_its_subtree_each_with_a_feed_entry(client: Client) -> None:
    groceries = await make_list(client)
    top, middle, bottom = await chain(client, "top", "middle", "bottom")
    since = (await feed(client))["next_since"]

    response = await client.patch(
        f"/api/tasks/{top['id']}", json={"list_id": groceries["id"]}, headers=auth(ALICE)
    )

    assert response.status_code == 200, response.text
    for task in (middle, bottom):
        assert (await read(client, task))["list_id"] == groceries["id"]
    entries = (await feed(client, since))["changes"]
    assert sorted(entry["id"] for entry in entries) == sorted(t["id"] for t in (top, middle, bottom))
    assert {entry["task"]["version"] for entry in entries} == {2}


async def test_deleting_a_task_deletes_its_subtree_each_in_the_feed(client: Client) -> None:
    top, middle, bottom = await chain(client, "top", "middle", "bottom")
    since = (await feed(client))["next_since"]

    response = await client.delete(f"/api/tasks/{top['id']}", headers=auth(ALICE))

    assert response.status_code == 204
    for task in (top, middle, bottom):
        assert (await client.get(f"/api/tasks/{task['id']}", headers=auth(ALICE))).status_code == 404
    entries = (await feed(client, since))["changes"]
    assert sorted((e["id"], e["deleted"]) for e in entries) == sorted(
        (t["id"], True) for t in (top, middle, bottom)
    )


async def test_completing_a_task_completes_its_open_descendants(client: Client) -> None:
    top, middle, bottom = await chain(client, "top", "middle", "bottom")
    since = (await feed(client))["next_since"]

    response = await client.post(f"/api/tasks/{top['id']}/complete", headers=auth(ALICE))

    assert response.status_code == 200, response.text
    for task in (middle, bottom):
        now = await read(client, task)
        assert (now["completed"], now["version"]) == (True, 2)
        assert now["completed_at"] == response.json()["completed_at"] == now["updated_at"]
    assert len((await feed(client, since))["changes"]) == 3


async def test_patching_completed_true_completes_the_descendants_too(client: Client) -> None:
    top, child = await chain(client, "top", "child")
    await client.patch(f"/api/tasks/{top['id']}", json={"completed": True}, headers=auth(ALICE))
    assert (await read(client, child))["completed"] is True


async def test_reopening_a_task_reopens_its_completed_ancestors(client: Client) -> None:
    top, middle, bottom = await chain(client, "top", "middle", "bottom")
    await client.post(f"/api/tasks/{top['id']}/complete", headers=auth(ALICE))

    response = await client.post(f"/api/tasks/{bottom['id']}/reopen", headers=auth(ALICE))

    assert response.status_code == 200, response.text
    for task in (top, middle):
        now = await read(client, task)
        assert (now["completed"], now["completed_at"], now["version"]) == (False, None, 3)


async def test_creating_or_moving_an_open_task_under_a_completed_one_reopens_it(client: Client) -> None:
    (done,) = await chain(client, "done")
    await client.post(f"/api/tasks/{done['id']}/complete", headers=auth(ALICE))
    await create(client, title="one more step", parent_id=done["id"])
    assert (await read(client, done))["completed"] is False

    await client.post(f"/api/tasks/{done['id']}/complete", headers=auth(ALICE))
    loose = await create(client, title="loose")
    response = await move(client, loose, {"after": None, "parent_id": done["id"]})
    assert response.status_code == 200, response.text
    assert (await read(client, done))["completed"] is False


# --- the move route -----------------------------------------------------------------------------


async def _three(client: Client) -> dict[str, dict[str, Any]]:
    return {title: await create(client, title=title) for title in ("A", "B", "C")}


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
async def test_a_move_places_the_task_after_or_before_a_sibling_or_first(
    client: Client, moved: str, body: dict[str, Any], order: list[str]
) -> None:
    tasks = await _three(client)
    request = {name: None if value is None else tasks[value]["id"] for name, value in body.items()}

    response = await move(client, tasks[moved], request)

    assert response.status_code == 200, response.text
    assert (response.json()["id"], response.json()["version"]) == (tasks[moved]["id"], 2)
    assert response.headers["etag"] == '"2"'
    assert await titles(client, "sort=position") == order


async def test_a_move_writes_the_moved_task_only(client: Client) -> None:
    tasks = await _three(client)
    await move(client, tasks["C"], {"after": tasks["A"]["id"]})
    for name in ("A", "B"):
        assert await read(client, tasks[name]) == tasks[name]


async def test_a_move_to_where_the_task_already_is_changes_nothing(client: Client) -> None:
    tasks = await _three(client)
    response = await move(client, tasks["B"], {"after": tasks["A"]["id"]})
    assert response.status_code == 200
    assert response.json() == tasks["B"]


async def test_a_move_into_another_list_and_under_a_parent_in_one_request(client: Client) -> None:
    groceries = await make_list(client)
    parent = await create(client, title="Party", list_id=groceries["id"])
    first = await create(client, title="first step", parent_id=parent["id"])
    loose, loose_child = await chain(client, "Drinks", "Ice")

    response = await move(
        client, loose, {"before": first["id"], "list_id": groceries["id"], "parent_id": parent["id"]}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["list_id"], body["parent_id"], body["version"]) == (groceries["id"], parent["id"], 2)
    assert await titles(client, f"parent_id={parent['id']}&sort=position") == ["Drinks", "first step"]
    assert (await read(client, loose_child))["list_id"] == groceries["id"]


@pytest.mark.parametrize("body", [{}, {"after": None, "before": None}, {"before": None}])
async def test_a_move_needs_exactly_one_of_after_and_before(client: Client, body: dict[str, Any]) -> None:
    tasks = await _three(client)
    response = await move(client, tasks["A"], body)
    problem = assert_problem(response, 422, "validation-failed")
    assert field_errors(problem) in (["after"], ["before"])


async def test_a_move_next_to_a_task_that_is_not_a_sibling_at_the_new_place_is_422(client: Client) -> None:
    tasks = await _three(client)
    parent, child = await chain(client, "parent", "child")
    theirs = await create(client, user=BOB)
    # A subtask, another user's task, an unknown id, the task itself: none is a sibling.
    for anchor in (child["id"], theirs["id"], str(uuid.uuid4()), tasks["A"]["id"]):
        response = await move(client, tasks["A"], {"after": anchor})
        assert field_errors(assert_problem(response, 422, "validation-failed")) == ["after"]
    response = await move(client, tasks["A"], {"after": tasks["B"]["id"], "parent_id": parent["id"]})
    assert field_errors(assert_problem(response, 422, "validation-failed")) == ["after"]
    assert await read(client, tasks["A"]) == tasks["A"]


async def test_a_move_honours_if_match(client: Client) -> None:
    tasks = await _three(client)
    stale = await move(client, tasks["C"], {"after": None}, **{"If-Match": '"7"'})
    assert_problem(stale, 412, "precondition-failed")
    fresh = await move(client, tasks["C"], {"after": None}, **{"If-Match": '"1"'})
    assert fresh.status_code == 200


async def test_moving_another_users_task_is_404(client: Client) -> None:
    theirs = await create(client, user=BOB)
    response = await move(client, theirs, {"after": None})
    assert_problem(response, 404, "not-found")
    assert (await read(client, theirs, user=BOB))["version"] == 1


async def test_a_move_body_refuses_unknown_fields(client: Client) -> None:
    task = await create(client)
    response = await move(client, task, {"after": None, "position": "a0"})
    assert field_errors(assert_problem(response, 422, "validation-failed")) == ["position"]


# --- the parent_id filter -----------------------------------------------------------------------


async def test_the_parent_id_filter_gives_a_tasks_subtasks_or_the_top_level(client: Client) -> None:
    parent, child = await chain(client, "parent", "child")
    await create(client, title="loose")
    assert await titles(client, f"parent_id={parent['id']}") == ["child"]
    assert sorted(await titles(client, "parent_id=none")) == ["loose", "parent"]
    assert await titles(client, f"parent_id={child['id']}") == []


async def test_the_parent_id_filter_combines_with_the_others(client: Client) -> None:
    groceries = await make_list(client)
    (parent,) = await chain(client, "parent", list_id=groceries["id"])
    await create(client, title="done", parent_id=parent["id"], completed=True)
    await create(client, title="open", parent_id=parent["id"])
    assert await titles(client, f"parent_id={parent['id']}&completed=false&list_id={groceries['id']}") == [
        "open"
    ]
    assert await titles(client, "parent_id=none&list_id=inbox") == []


async def test_the_parent_id_filter_with_another_users_task_gives_an_empty_page(client: Client) -> None:
    theirs, _ = await chain(client, "theirs", "their child")
    assert await titles(client, f"parent_id={theirs['id']}", user=BOB) == []


async def test_a_malformed_parent_id_filter_is_400(client: Client) -> None:
    response = await client.get("/api/tasks?parent_id=top", headers=auth(ALICE))
    problem = assert_problem(response, 400, "invalid-parameter")
    assert field_errors(problem) == ["parent_id"]


async def test_position_pages_of_a_parents_subtasks_follow_the_sibling_order(client: Client) -> None:
    (parent,) = await chain(client, "parent")
    made = [await create(client, title=f"s{n}", parent_id=parent["id"]) for n in range(5)]
    await move(client, made[4], {"after": None})
    seen: list[str] = []
    url = f"/api/tasks?parent_id={parent['id']}&sort=position&limit=2"
    while url:
        response = await client.get(url, headers=auth(ALICE))
        seen += [task["title"] for task in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        url = f"/api/tasks?parent_id={parent['id']}&sort=position&limit=2&cursor={cursor}" if cursor else ""
    assert seen == ["s4", "s0", "s1", "s2", "s3"]
