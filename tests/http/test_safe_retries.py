"""ETag, If-None-Match, If-Match and Idempotency-Key over HTTP ("Writes that clients retry")."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from taskhub.adapters.postgres.engine import PoolSettings
from taskhub.domain.model import UserId
from taskhub.entrypoints.app import create_app
from tests.http.conftest import Client, auth, make_container
from tests.http.test_tasks_api import ALICE, BOB, assert_problem, create


def url(task: dict[str, Any], suffix: str = "") -> str:
    return f"/api/tasks/{task['id']}{suffix}"


def with_header(user: str, name: str, value: str) -> dict[str, str]:
    return {**auth(user), name: value}


# --- ETag and If-None-Match -------------------------------------------------------------------


async def test_every_task_response_carries_its_version_as_etag(client: Client) -> None:
    task = await create(client)
    patched = await client.patch(url(task), json={"title": "v2"}, headers=auth(ALICE))
    completed = await client.post(url(task, "/complete"), headers=auth(ALICE))
    assert patched.headers["etag"] == '"2"'
    assert completed.headers["etag"] == '"3"'


@pytest.mark.parametrize("header", ['"1"', "*", '"7", "1"', 'W/"1"', ' "1" '])
async def test_if_none_match_on_the_current_version_is_304_without_a_body(
    client: Client, header: str
) -> None:
    task = await create(client)
    response = await client.get(url(task), headers=with_header(ALICE, "If-None-Match", header))
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == '"1"'


async def test_if_none_match_on_an_old_version_is_200(client: Client) -> None:
    task = await create(client)
    await client.patch(url(task), json={"title": "v2"}, headers=auth(ALICE))
    response = await client.get(url(task), headers=with_header(ALICE, "If-None-Match", '"1"'))
    assert response.status_code == 200
    assert response.json()["version"] == 2


async def test_if_none_match_never_reveals_another_users_task(client: Client) -> None:
    task = await create(client)
    response = await client.get(url(task), headers=with_header(BOB, "If-None-Match", "*"))
    assert_problem(response, 404, "not-found")


@pytest.mark.parametrize("header", ["1", '"1', "W/1", '"a" "b"', '"1",,'])
async def test_a_malformed_if_none_match_is_400(client: Client, header: str) -> None:
    task = await create(client)
    response = await client.get(url(task), headers=with_header(ALICE, "If-None-Match", header))
    assert_problem(response, 400, "invalid-parameter")


# --- If-Match ---------------------------------------------------------------------------------

WRITES = [
    pytest.param("PUT", "", {"title": "replaced"}, 200, id="PUT"),
    pytest.param("PATCH", "", {"title": "patched"}, 200, id="PATCH"),
    pytest.param("DELETE", "", None, 204, id="DELETE"),
    pytest.param("POST", "/complete", None, 200, id="complete"),
]


@pytest.mark.parametrize(("method", "suffix", "body", "status"), WRITES)
async def test_a_write_with_the_current_etag_succeeds(
    client: Client, method: str, suffix: str, body: Any, status: int
) -> None:
    task = await create(client)
    headers = with_header(ALICE, "If-Match", '"1"')
    response = await client.request(method, url(task, suffix), json=body, headers=headers)
    assert response.status_code == status, response.text


@pytest.mark.parametrize(("method", "suffix", "body", "status"), WRITES)
async def test_a_write_with_a_stale_etag_is_412_with_the_current_etag_and_changes_nothing(
    client: Client, method: str, suffix: str, body: Any, status: int
) -> None:
    task = await create(client)
    current = (await client.patch(url(task), json={"priority": "high"}, headers=auth(ALICE))).json()
    response = await client.request(
        method, url(task, suffix), json=body, headers=with_header(ALICE, "If-Match", '"1"')
    )
    assert_problem(response, 412, "precondition-failed")
    assert response.headers["etag"] == '"2"'
    assert (await client.get(url(task), headers=auth(ALICE))).json() == current


async def test_reopen_honours_if_match_too(client: Client) -> None:
    task = await create(client, completed=True)
    stale = await client.post(url(task, "/reopen"), headers=with_header(ALICE, "If-Match", '"9"'))
    assert_problem(stale, 412, "precondition-failed")
    fresh = await client.post(url(task, "/reopen"), headers=with_header(ALICE, "If-Match", '"1"'))
    assert fresh.json()["completed"] is False


@pytest.mark.parametrize("header", ["*", '"5", "1"'])
async def test_if_match_star_or_a_list_containing_the_version_succeeds(client: Client, header: str) -> None:
    task = await create(client)
    response = await client.patch(
        url(task), json={"title": "ok"}, headers=with_header(ALICE, "If-Match", header)
    )
    assert response.status_code == 200


async def test_a_weak_etag_never_satisfies_if_match(client: Client) -> None:
    task = await create(client)
    response = await client.patch(
        url(task), json={"title": "x"}, headers=with_header(ALICE, "If-Match", 'W/"1"')
    )
    assert_problem(response, 412, "precondition-failed")


@pytest.mark.parametrize("header", ["1", "version 1", '"1', ""])
async def test_a_malformed_if_match_is_400(client: Client, header: str) -> None:
    task = await create(client)
    response = await client.patch(
        url(task), json={"title": "x"}, headers=with_header(ALICE, "If-Match", header)
    )
    assert_problem(response, 400, "invalid-parameter")


async def test_without_if_match_the_last_writer_wins(client: Client) -> None:
    task = await create(client)
    await client.patch(url(task), json={"title": "first"}, headers=auth(ALICE))
    second = await client.patch(url(task), json={"title": "second"}, headers=auth(ALICE))
    assert (second.json()["title"], second.json()["version"]) == ("second", 3)


# --- Idempotency-Key --------------------------------------------------------------------------


async def post_once(client: Client, key: str, body: dict[str, Any], user: str = ALICE) -> Any:
    return await client.post("/api/tasks", json=body, headers=with_header(user, "Idempotency-Key", key))


async def test_a_retried_create_replays_the_first_response_and_creates_nothing(client: Client) -> None:
    first = await post_once(client, "create-milk-1", {"title": "Buy milk"})
    retry = await post_once(client, "create-milk-1", {"title": "Buy milk"})
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.content == first.content
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["etag"] == first.headers["etag"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    listed = await client.get("/api/tasks", headers=auth(ALICE))
    assert [t["id"] for t in listed.json()["items"]] == [first.json()["id"]]


async def test_the_same_body_written_another_way_is_the_same_request(client: Client) -> None:
    headers = {**with_header(ALICE, "Idempotency-Key", "spacing"), "Content-Type": "application/json"}
    first = await client.post("/api/tasks", content=b'{"title":"Buy milk","tags":["home"]}', headers=headers)
    retry = await client.post(
        "/api/tasks", content=b'{ "tags" : [ "home" ] ,\n  "title" : "Buy milk" }', headers=headers
    )
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.content == first.content
    assert retry.headers["idempotent-replayed"] == "true"


async def test_a_replayed_answer_is_the_first_one_even_after_the_task_changed(client: Client) -> None:
    first = await post_once(client, "then-edited", {"title": "Buy milk"})
    edited = await client.patch(
        f"/api/tasks/{first.json()['id']}", json={"title": "Buy oat milk"}, headers=auth(ALICE)
    )
    assert edited.status_code == 200
    retry = await post_once(client, "then-edited", {"title": "Buy milk"})
    assert (retry.status_code, retry.content) == (201, first.content)
    assert retry.headers["etag"] == '"1"'


async def test_the_same_key_with_another_body_is_422(client: Client) -> None:
    await post_once(client, "k-1", {"title": "Buy milk"})
    response = await post_once(client, "k-1", {"title": "Buy bread"})
    assert_problem(response, 422, "idempotency-key-reused")


async def test_a_request_the_domain_refused_is_refused_again_on_retry(client: Client) -> None:
    refused = await post_once(client, "k-2", {"title": "   "})
    problem = assert_problem(refused, 422, "validation-failed")
    again = await post_once(client, "k-2", {"title": "   "})
    assert again.status_code == 422
    assert again.headers["idempotent-replayed"] == "true"
    assert assert_problem(again, 422, "validation-failed")["errors"] == problem["errors"]
    assert "idempotent-replayed" not in refused.headers


async def test_the_key_of_a_refused_request_cannot_be_reused_for_another(client: Client) -> None:
    await post_once(client, "k-3", {"title": "   "})
    response = await post_once(client, "k-3", {"title": "Buy milk"})
    assert_problem(response, 422, "idempotency-key-reused")
    listed = await client.get("/api/tasks", headers=auth(ALICE))
    assert listed.json()["items"] == []


async def test_a_body_that_does_not_fit_the_schema_stores_nothing_under_its_key(client: Client) -> None:
    # Refused before it is understood (a title that is not a string): fixed, it goes through.
    refused = await post_once(client, "k-4", {"title": 42})
    assert_problem(refused, 422, "validation-failed")
    accepted = await post_once(client, "k-4", {"title": "Buy milk"})
    assert accepted.status_code == 201
    assert "idempotent-replayed" not in accepted.headers


async def test_keys_are_per_user(client: Client) -> None:
    alices = await post_once(client, "shared-key", {"title": "t"}, user=ALICE)
    bobs = await post_once(client, "shared-key", {"title": "t"}, user=BOB)
    assert alices.json()["id"] != bobs.json()["id"]
    assert "idempotent-replayed" not in bobs.headers


async def test_complete_with_a_key_is_replayed(client: Client) -> None:
    task = await create(client)
    headers = with_header(ALICE, "Idempotency-Key", "done-1")
    first = await client.post(url(task, "/complete"), headers=headers)
    await client.post(url(task, "/reopen"), headers=auth(ALICE))
    retry = await client.post(url(task, "/complete"), headers=headers)
    assert retry.status_code == 200
    assert retry.content == first.content
    assert retry.headers["idempotent-replayed"] == "true"
    # The retry wrote nothing: the task stays reopened.
    assert (await client.get(url(task), headers=auth(ALICE))).json()["completed"] is False


async def test_reopen_with_a_key_is_replayed(client: Client) -> None:
    task = await create(client, completed=True)
    headers = with_header(ALICE, "Idempotency-Key", "undo-1")
    first = await client.post(url(task, "/reopen"), headers=headers)
    retry = await client.post(url(task, "/reopen"), headers=headers)
    assert retry.content == first.content
    assert retry.headers["idempotent-replayed"] == "true"


async def test_a_key_used_on_another_route_is_422(client: Client) -> None:
    task = await create(client)
    await client.post(url(task, "/complete"), headers=with_header(ALICE, "Idempotency-Key", "k-3"))
    response = await client.post(url(task, "/reopen"), headers=with_header(ALICE, "Idempotency-Key", "k-3"))
    assert_problem(response, 422, "idempotency-key-reused")


@pytest.mark.parametrize("key", ["x" * 256, "caf\u00e9", "tab\there", "new\nline"])
async def test_a_malformed_idempotency_key_is_400(client: Client, key: str) -> None:
    response = await client.post(
        "/api/tasks",
        content=json.dumps({"title": "t"}),
        headers={**auth(ALICE), "Content-Type": "application/json", "Idempotency-Key": key.encode()},  # type: ignore[dict-item]
    )
    assert_problem(response, 400, "invalid-parameter")


async def test_an_empty_idempotency_key_is_400(client: Client) -> None:
    assert_problem(await post_once(client, "", {"title": "t"}), 400, "invalid-parameter")


async def test_a_key_of_255_printable_characters_is_accepted(client: Client) -> None:
    assert (await post_once(client, "~" * 255, {"title": "t"})).status_code == 201


# --- races at PostgreSQL ----------------------------------------------------------------------


@pytest.fixture
async def wide_client(database_url: str, clean_tables: None) -> AsyncIterator[Client]:
    """The real app on PostgreSQL with enough connections for 20 requests at once."""
    container = make_container(database_url)
    container.settings.override(
        container.settings().__class__(
            database_url=database_url,
            auth_secret=container.settings().auth_secret,
            pool=PoolSettings(size=25, acquire_timeout_seconds=10),
        )
    )
    async with AsyncTestClient(app=create_app(container)) as client:
        yield client


@pytest.mark.postgres
async def test_twenty_concurrent_patches_with_the_same_if_match_let_exactly_one_through(
    wide_client: Client,
) -> None:
    task = await create(wide_client)
    responses = await asyncio.gather(
        *(
            wide_client.patch(
                url(task), json={"title": f"writer {i}"}, headers=with_header(ALICE, "If-Match", '"1"')
            )
            for i in range(20)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [412] * 19
    winner = next(r for r in responses if r.status_code == 200).json()
    assert (await wide_client.get(url(task), headers=auth(ALICE))).json() == winner


@pytest.mark.postgres
async def test_twenty_concurrent_creates_with_the_same_key_create_one_task(wide_client: Client) -> None:
    responses = await asyncio.gather(
        *(post_once(wide_client, "race-key", {"title": "once"}) for _ in range(20))
    )
    created = [r for r in responses if r.status_code == 201]
    assert {r.status_code for r in responses} <= {201, 409}
    assert len({r.content for r in created}) == 1
    assert sum("idempotent-replayed" not in r.headers for r in created) == 1
    listed = await wide_client.get("/api/tasks", headers=auth(ALICE))
    assert [t["id"] for t in listed.json()["items"]] == [created[0].json()["id"]]


@pytest.mark.postgres
async def test_a_retry_while_the_first_request_is_still_running_is_409(
    database_url: str, clean_tables: None
) -> None:
    another_instance = make_container(database_url)
    async with AsyncTestClient(app=create_app(make_container(database_url))) as client:
        try:
            # Another instance is in the middle of the first request: it holds the key's claim.
            async with another_instance.unit_of_work() as first_request:
                assert (await first_request.idempotency.claim(UserId(ALICE), "in-flight")).held is True
                response = await post_once(client, "in-flight", {"title": "t"})
                assert_problem(response, 409, "request-in-flight")
                assert response.headers["retry-after"] == "1"
        finally:
            await another_instance.write_pool().close()
        # The claim ended with that transaction: the retry now goes through.
        assert (await post_once(client, "in-flight", {"title": "t"})).status_code == 201
