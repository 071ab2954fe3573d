"""GET /api/tasks with filters, sorts and cursors, and GET /api/tasks/changes, over HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from dependency_injector import providers

from taskhub.application.maintenance import MaintenanceService
from taskhub.entrypoints.app import create_app
from taskhub.entrypoints.container import Container
from tests.http.conftest import Client, auth, in_this_loop
from tests.http.test_tasks_api import ALICE, BOB, assert_problem, create


async def listed(client: Client, query: str, user: str = ALICE) -> list[str]:
    response = await client.get(f"/api/tasks?{query}", headers=auth(user))
    assert response.status_code == 200, response.text
    return [t["title"] for t in response.json()["items"]]


@pytest.fixture
async def sample(client: Client) -> None:
    await create(
        client, title="Buy milk", priority="high", tags=["home", "shop"], due_at="2026-12-02T10:00:00Z"
    )
    await create(client, title="Call mum", priority="low", completed=True)
    await create(
        client, title="Pay rent", priority="medium", tags=["home"], due_at="2026-12-05T10:00:00+01:00"
    )
    await create(client, title="Write report", description="quarterly numbers", due_at="2026-11-30T10:00:00Z")


@pytest.mark.usefixtures("sample")
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Write report", "Pay rent", "Call mum", "Buy milk"]),
        ("completed=true", ["Call mum"]),
        ("completed=false&sort=title", ["Buy milk", "Pay rent", "Write report"]),
        ("priority=high", ["Buy milk"]),
        ("priority=high&priority=low&sort=title", ["Buy milk", "Call mum"]),
        ("priority=high,medium&sort=title", ["Buy milk", "Pay rent"]),
        ("tag=home&sort=title", ["Buy milk", "Pay rent"]),
        ("tag=home&tag=shop", ["Buy milk"]),
        ("due_before=2026-12-03T00:00:00Z&sort=due_at", ["Write report", "Buy milk"]),
        ("due_after=2026-12-01T00:00:00%2B01:00&sort=-due_at", ["Pay rent", "Buy milk"]),
        ("q=quarterly", ["Write report"]),
        ("q=milk%20OR%20rent&sort=title", ["Buy milk", "Pay rent"]),
        ("q=%22quarterly%20numbers%22", ["Write report"]),
        ("sort=due_at", ["Write report", "Buy milk", "Pay rent", "Call mum"]),
        ("sort=-priority", ["Buy milk", "Pay rent", "Call mum", "Write report"]),
        ("sort=title&tag=home&completed=false&q=buy", ["Buy milk"]),
    ],
)
async def test_filters_and_sorts_over_http(client: Client, query: str, expected: list[str]) -> None:
    assert await listed(client, query) == expected


@pytest.mark.usefixtures("sample")
async def test_another_user_finds_none_of_these(client: Client) -> None:
    assert await listed(client, "q=milk", user=BOB) == []


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("sort=bogus", "sort"),
        ("sort=--title", "sort"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=1000", "limit"),
        ("due_before=yesterday", "due_before"),
        ("due_after=2026-12-01T10:00:00", "due_after"),
        ("priority=urgent", "priority"),
        ("completed=maybe", "completed"),
        ("tag=" + "x" * 41, "tag"),
        ("q=" + "x" * 201, "q"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=" + "A" * 2000, "cursor"),
    ],
)
async def test_invalid_query_values_are_400_naming_the_parameter(
    client: Client, query: str, parameter: str
) -> None:
    problem = assert_problem(
        await client.get(f"/api/tasks?{query}", headers=auth(ALICE)), 400, "invalid-parameter"
    )
    assert [e["field"] for e in problem["errors"]] == [parameter]


async def first_page(client: Client, query: str) -> tuple[dict[str, Any], str | None]:
    response = await client.get(f"/api/tasks?{query}", headers=auth(ALICE))
    return response.json(), response.headers.get("link")


@pytest.mark.usefixtures("sample")
async def test_the_link_header_keeps_filters_sort_and_limit(client: Client) -> None:
    page, link = await first_page(client, "limit=1&sort=title&tag=home")
    assert page["items"][0]["title"] == "Buy milk"
    assert link is not None
    target = link.removeprefix("<").split(">;")[0]
    query = parse_qs(urlsplit(target).query)
    assert (query["limit"], query["sort"], query["tag"], query["cursor"]) == (
        ["1"],
        ["title"],
        ["home"],
        [page["next_cursor"]],
    )
    following = await client.get(target, headers=auth(ALICE))
    assert [t["title"] for t in following.json()["items"]] == ["Pay rent"]
    assert following.json()["next_cursor"] is None


@pytest.mark.usefixtures("sample")
@pytest.mark.parametrize("other", ["sort=title", "sort=-created_at&tag=home", "sort=-created_at&q=milk"])
async def test_a_cursor_reused_with_another_sort_or_filters_is_400(client: Client, other: str) -> None:
    page, _ = await first_page(client, "limit=1&sort=-created_at")
    response = await client.get(f"/api/tasks?{other}&cursor={page['next_cursor']}", headers=auth(ALICE))
    assert_problem(response, 400, "invalid-parameter")


@pytest.mark.usefixtures("sample")
async def test_a_cursor_of_one_user_shows_another_user_only_their_own_tasks(client: Client) -> None:
    page, _ = await first_page(client, "limit=1")
    await create(client, user=BOB, title="bob's")
    response = await client.get(f"/api/tasks?limit=1&cursor={page['next_cursor']}", headers=auth(BOB))
    assert all(t["title"] == "bob's" for t in response.json()["items"])


# --- the change feed --------------------------------------------------------------------------


async def feed(client: Client, since: str | None = None, limit: int = 50) -> dict[str, Any]:
    query = f"?limit={limit}" + (f"&since={since}" if since else "")
    response = await client.get(f"/api/tasks/changes{query}", headers=auth(ALICE))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_feed_starts_with_everything_and_continues_from_next_since(client: Client) -> None:
    first = await create(client, title="first")
    second = await create(client, title="second")
    start = await feed(client)
    assert [c["task"]["title"] for c in start["changes"]] == ["first", "second"]
    assert start["has_more"] is False

    await client.patch(f"/api/tasks/{first['id']}", json={"title": "first, edited"}, headers=auth(ALICE))
    await client.delete(f"/api/tasks/{second['id']}", headers=auth(ALICE))
    later = await feed(client, since=start["next_since"])
    assert later["changes"] == [
        {"id": first["id"], "deleted": False, "task": later["changes"][0]["task"]},
        {"id": second["id"], "deleted": True},
    ]
    assert later["changes"][0]["task"]["title"] == "first, edited"

    quiet = await feed(client, since=later["next_since"])
    assert (quiet["changes"], quiet["next_since"]) == ([], later["next_since"])


async def test_the_feed_pages_with_has_more(client: Client) -> None:
    for i in range(5):
        await create(client, title=f"t{i}")
    seen: list[str] = []
    since = None
    while True:
        page = await feed(client, since=since, limit=2)
        seen += [c["task"]["title"] for c in page["changes"]]
        since = page["next_since"]
        if not page["has_more"]:
            break
    assert seen == [f"t{i}" for i in range(5)]


async def test_the_feed_never_shows_another_users_changes(client: Client) -> None:
    await create(client, user=BOB, title="bob's")
    assert (await feed(client))["changes"] == []


@pytest.mark.parametrize("since", ["garbage", "eyJ2Ijo5LCJzIjoxfQ", "eyJ2IjoxLCJzIjotMX0", "A" * 2000])
async def test_a_malformed_since_is_400(client: Client, since: str) -> None:
    response = await client.get(f"/api/tasks/changes?since={since}", headers=auth(ALICE))
    problem = assert_problem(response, 400, "invalid-parameter")
    assert [e["field"] for e in problem["errors"]] == ["since"]


async def test_a_since_older_than_the_purged_tombstones_is_410(container: Container) -> None:
    # Purge with no retention at all, on the app's own event loop and storage.
    container.maintenance.override(
        providers.Singleton(
            MaintenanceService,
            uow=container.unit_of_work.provider,
            clock=container.clock,
            tombstone_retention=timedelta(seconds=-1),
        )
    )
    async with in_this_loop(create_app(container)) as client:
        doomed = await create(client, title="doomed")  # type: ignore[arg-type]
        token = (await feed(client))["next_since"]  # type: ignore[arg-type]
        await client.delete(f"/api/tasks/{doomed['id']}", headers=auth(ALICE))
        assert (await container.maintenance().purge()).tombstones == 1

        response = await client.get(f"/api/tasks/changes?since={token}", headers=auth(ALICE))
        assert_problem(response, 410, "sync-token-expired")
        assert (await client.get("/api/tasks/changes", headers=auth(ALICE))).status_code == 200
