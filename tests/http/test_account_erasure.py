"""`DELETE /api/account` (docs/api.md, "Erasing your account"): everything of the caller gone
in one request, only with `confirm=true`, idempotent, nobody else touched, and a sync token from
before it a 410, on every storage."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.conftest import Client, auth
from tests.http.test_lists_api import field_errors, make_list
from tests.http.test_tasks_api import ALICE, BOB, assert_problem, create

ERASE = "/api/account?confirm=true"


async def feed(client: Client, user: str = ALICE, since: str | None = None) -> Any:
    query = "" if since is None else f"?since={since}"
    return await client.get(f"/api/changes{query}", headers=auth(user))


async def everything(client: Client, user: str = ALICE) -> tuple[list[Any], list[Any], list[Any]]:
    tasks = (await client.get("/api/tasks", headers=auth(user))).json()["items"]
    lists = (await client.get("/api/lists", headers=auth(user))).json()["items"]
    changes = (await feed(client, user)).json()["changes"]
    return tasks, lists, changes


async def with_data(client: Client, user: str = ALICE) -> None:
    groceries = await make_list(client, user=user)
    await create(client, user, title="Eggs", list_id=groceries["id"])
    gone = await create(client, user, title="In the trash")
    assert (await client.delete(f"/api/tasks/{gone['id']}", headers=auth(user))).status_code == 204


async def test_erasing_the_account_leaves_the_caller_with_nothing(client: Client) -> None:
    await with_data(client)
    response = await client.delete(ERASE, headers=auth(ALICE))
    assert response.status_code == 204
    assert response.content == b""
    assert await everything(client) == ([], [], [])


async def test_erasing_touches_no_other_user(client: Client) -> None:
    await with_data(client)
    await with_data(client, BOB)
    before = await everything(client, BOB)
    await client.delete(ERASE, headers=auth(ALICE))
    assert await everything(client, BOB) == before


@pytest.mark.parametrize("query", ["", "?confirm=false", "?confirm=yes", "?confirm=TRUE"])
async def test_without_confirm_true_nothing_is_erased_and_it_is_a_422_on_confirm(
    client: Client, query: str
) -> None:
    await with_data(client)
    before = await everything(client)
    response = await client.delete(f"/api/account{query}", headers=auth(ALICE))
    assert field_errors(assert_problem(response, 422, "validation-failed")) == ["confirm"]
    assert await everything(client) == before


async def test_erasing_twice_is_a_204_both_times(client: Client) -> None:
    await with_data(client)
    assert (await client.delete(ERASE, headers=auth(ALICE))).status_code == 204
    assert (await client.delete(ERASE, headers=auth(ALICE))).status_code == 204


async def test_a_sync_token_from_before_the_erasure_is_a_410(client: Client) -> None:
    await with_data(client)
    token = (await feed(client)).json()["next_since"]
    await client.delete(ERASE, headers=auth(ALICE))
    assert_problem(await feed(client, since=token), 410, "sync-token-expired")
    tasks_feed = await client.get(f"/api/tasks/changes?since={token}", headers=auth(ALICE))
    assert_problem(tasks_feed, 410, "sync-token-expired")


async def test_another_users_sync_token_still_works_after_an_erasure(client: Client) -> None:
    await with_data(client, BOB)
    token = (await feed(client, BOB)).json()["next_since"]
    await with_data(client)
    await client.delete(ERASE, headers=auth(ALICE))
    assert (await feed(client, BOB, since=token)).status_code == 200


async def test_after_an_erasure_the_user_starts_again_with_a_working_feed(client: Client) -> None:
    await with_data(client)
    await client.delete(ERASE, headers=auth(ALICE))
    fresh = await create(client, title="A fresh start")
    page = (await feed(client)).json()
    assert [change["id"] for change in page["changes"]] == [fresh["id"]]
    assert (await feed(client, since=page["next_since"])).status_code == 200


async def test_erasing_needs_a_token(client: Client) -> None:
    assert_problem(await client.delete(ERASE), 401, "invalid-token")


async def test_after_an_erasure_an_empty_feed_can_be_polled_without_a_410(client: Client) -> None:
    await with_data(client)
    await client.delete(ERASE, headers=auth(ALICE))
    fresh = (await feed(client)).json()
    assert fresh["changes"] == []
    again = await feed(client, since=fresh["next_since"])
    assert again.status_code == 200, again.text
    assert again.json()["changes"] == []
