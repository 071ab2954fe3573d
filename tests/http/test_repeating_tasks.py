"""Repeating tasks over HTTP (docs/api.md, "Repeating tasks"): `recurrence` on create, PUT and
PATCH with its 422s, completion through every route that completes (the complete route, PATCH and
PUT) moving the task to its next occurrence, retries that move it once, its subtasks, the change
feed and the listing, on every storage."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.http.conftest import Client, auth
from tests.http.test_lists_api import field_errors
from tests.http.test_safe_retries import url, wide_client, with_header
from tests.http.test_subtasks_and_moves import feed, read
from tests.http.test_tasks_api import ALICE, BOB, assert_problem, create

__all__ = ["wide_client"]  # a fixture, used by name

# Monday 2 March 2026, 09:00 in Paris (+01:00).
DUE = "2026-03-02T09:00:00+01:00"
DAILY = {"title": "Water the plants", "due_at": DUE, "time_zone": "Europe/Paris", "recurrence": "FREQ=DAILY"}


async def repeating(client: Client, **body: Any) -> dict[str, Any]:
    return await create(client, **(DAILY | body))


async def complete(client: Client, task: dict[str, Any], **headers: str) -> Any:
    return await client.post(url(task, "/complete"), headers=auth(ALICE) | headers)


async def completed(client: Client, task: dict[str, Any]) -> dict[str, Any]:
    response = await complete(client, task)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def problem_fields(response: Any) -> list[str]:
    return field_errors(assert_problem(response, 422, "validation-failed"))


# --- the rule -----------------------------------------------------------------------------------


async def test_a_task_does_not_repeat_unless_given_a_rule(client: Client) -> None:
    task = await create(client)
    assert (task["recurrence"], task["last_completed_at"]) == (None, None)


async def test_a_rule_is_returned_in_canonical_form(client: Client) -> None:
    task = await repeating(client, recurrence="freq=weekly;byday=we,mo;interval=1")
    assert task["recurrence"] == "FREQ=WEEKLY;BYDAY=MO,WE"
    assert await read(client, task) == task


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=HOURLY",
        "FREQ=DAILY;BYHOUR=9",
        "RRULE:FREQ=DAILY",
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=DAILY;COUNT=1001",
        "FREQ=DAILY;COUNT=2;UNTIL=20261231",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=DAILY;UNTIL=20260301",
        "FREQ=DAILY;" + "BYMONTH=1;" * 25,
        "",
    ],
)
async def test_a_rule_taskhub_does_not_accept_is_a_422_on_recurrence(client: Client, rule: str) -> None:
    response = await client.post("/api/tasks", json=DAILY | {"recurrence": rule}, headers=auth(ALICE))
    assert problem_fields(response) == ["recurrence"]


async def test_the_problem_says_what_is_wrong_with_the_rule(client: Client) -> None:
    response = await client.post(
        "/api/tasks", json=DAILY | {"recurrence": "FREQ=DAILY;BYHOUR=9"}, headers=auth(ALICE)
    )
    (error,) = assert_problem(response, 422, "validation-failed")["errors"]
    assert "BYHOUR is not a part taskhub accepts" in error["message"]


async def test_a_rule_without_a_due_date_is_a_422_on_recurrence(client: Client) -> None:
    response = await client.post(
        "/api/tasks", json={"title": "t", "recurrence": "FREQ=DAILY"}, headers=auth(ALICE)
    )
    assert problem_fields(response) == ["recurrence"]


async def test_a_rule_that_is_not_a_string_is_a_422_on_recurrence(client: Client) -> None:
    response = await client.post("/api/tasks", json=DAILY | {"recurrence": 7}, headers=auth(ALICE))
    assert problem_fields(response) == ["recurrence"]


async def test_a_rule_can_be_set_by_patch_and_put_and_cleared(client: Client) -> None:
    task = await create(client, due_at=DUE)
    patched = await client.patch(url(task), json={"recurrence": "FREQ=WEEKLY"}, headers=auth(ALICE))
    assert patched.json()["recurrence"] == "FREQ=WEEKLY"
    put = await client.put(url(task), json=DAILY, headers=auth(ALICE))
    assert put.json()["recurrence"] == "FREQ=DAILY"
    cleared = await client.patch(url(task), json={"recurrence": None}, headers=auth(ALICE))
    assert (cleared.json()["recurrence"], cleared.json()["due_at"]) == (None, "2026-03-02T08:00:00Z")


async def test_clearing_the_due_date_of_a_repeating_task_is_a_422_on_due_at(client: Client) -> None:
    task = await repeating(client)
    response = await client.patch(url(task), json={"due_at": None}, headers=auth(ALICE))
    assert problem_fields(response) == ["due_at"]
    assert await read(client, task) == task


async def test_clearing_the_due_date_and_the_rule_together_is_allowed(client: Client) -> None:
    task = await repeating(client)
    response = await client.patch(url(task), json={"due_at": None, "recurrence": None}, headers=auth(ALICE))
    assert response.status_code == 200, response.text


async def test_a_put_without_a_due_date_of_a_repeating_rule_is_a_422_on_recurrence(client: Client) -> None:
    task = await repeating(client)
    response = await client.put(
        url(task), json={"title": "t", "recurrence": "FREQ=DAILY"}, headers=auth(ALICE)
    )
    assert problem_fields(response) == ["recurrence"]


# --- completing ---------------------------------------------------------------------------------


async def test_completing_moves_the_task_to_its_next_occurrence(client: Client) -> None:
    task = await repeating(client)
    done = await completed(client, task)
    assert done["due_at"] == "2026-03-03T08:00:00Z"
    assert (done["completed"], done["completed_at"]) == (False, None)
    assert done["last_completed_at"] is not None
    assert done["version"] == task["version"] + 1
    assert await read(client, task) == done


async def test_a_daily_task_stays_at_its_wall_clock_time_across_daylight_saving(client: Client) -> None:
    # Paris moves to +02:00 on 29 March 2026.
    task = await repeating(client, due_at="2026-03-28T09:00:00+01:00")
    first = await completed(client, task)
    second = await completed(client, first)
    assert [first["due_at"], second["due_at"]] == ["2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z"]


@pytest.mark.parametrize("how", ["patch", "put"])
async def test_completing_by_patch_or_put_moves_the_task_on_too(client: Client, how: str) -> None:
    task = await repeating(client)
    if how == "patch":
        response = await client.patch(url(task), json={"completed": True}, headers=auth(ALICE))
    else:
        response = await client.put(url(task), json=DAILY | {"completed": True}, headers=auth(ALICE))
    assert response.status_code == 200, response.text
    assert (response.json()["due_at"], response.json()["completed"]) == ("2026-03-03T08:00:00Z", False)


async def test_the_last_occurrence_completes_the_task(client: Client) -> None:
    task = await repeating(client, recurrence="FREQ=DAILY;COUNT=2")
    second = await completed(client, task)
    done = await completed(client, second)
    assert second["due_at"] == "2026-03-03T08:00:00Z"
    assert (done["completed"], done["due_at"]) == (True, "2026-03-03T08:00:00Z")
    assert done["completed_at"] is not None


async def test_a_completed_repeating_task_completed_again_changes_nothing(client: Client) -> None:
    task = await repeating(client, recurrence="FREQ=DAILY;COUNT=1")
    done = await completed(client, task)
    assert await completed(client, done) == done


async def test_moving_on_reopens_the_completed_subtasks_each_in_the_feed(client: Client) -> None:
    task = await repeating(client)
    step = await create(client, title="Fill the can", parent_id=task["id"])
    step = await completed(client, step)
    since = (await feed(client))["next_since"]
    moved = await completed(client, task)
    reopened = await read(client, step)
    assert (reopened["completed"], reopened["version"]) == (False, step["version"] + 1)
    changes = (await feed(client, since))["changes"]
    assert {c["id"]: c["task"]["version"] for c in changes} == {
        task["id"]: moved["version"],
        step["id"]: reopened["version"],
    }


async def test_a_completion_retried_with_the_same_idempotency_key_moves_the_task_once(client: Client) -> None:
    task = await repeating(client)
    first = await complete(client, task, **{"Idempotency-Key": "done-monday"})
    retry = await complete(client, task, **{"Idempotency-Key": "done-monday"})
    assert (first.status_code, retry.status_code) == (200, 200)
    assert retry.content == first.content
    assert retry.headers["idempotent-replayed"] == "true"
    assert (await read(client, task))["due_at"] == "2026-03-03T08:00:00Z"


async def test_a_completion_retried_with_a_stale_if_match_is_a_412_and_moves_nothing(client: Client) -> None:
    task = await repeating(client)
    first = await complete(client, task, **{"If-Match": '"1"'})
    retry = await complete(client, task, **{"If-Match": '"1"'})
    assert first.status_code == 200
    assert_problem(retry, 412, "precondition-failed")
    assert (await read(client, task))["due_at"] == "2026-03-03T08:00:00Z"


@pytest.mark.postgres
async def test_twenty_concurrent_completions_with_one_if_match_move_the_task_once(
    wide_client: Client,
) -> None:
    task = await repeating(wide_client)
    responses = await asyncio.gather(
        *(
            wide_client.post(url(task, "/complete"), headers=with_header(ALICE, "If-Match", '"1"'))
            for _ in range(20)
        )
    )
    assert sorted(r.status_code for r in responses) == [200] + [412] * 19
    now = await read(wide_client, task)
    assert (now["due_at"], now["version"]) == ("2026-03-03T08:00:00Z", 2)


# --- changing what the rule starts from -----------------------------------------------------------


async def test_changing_the_due_date_starts_the_rule_again(client: Client) -> None:
    task = await repeating(client, recurrence="FREQ=DAILY;COUNT=2")
    second = await completed(client, task)
    moved = await client.patch(url(second), json={"due_at": "2026-04-01T09:00:00+02:00"}, headers=auth(ALICE))
    assert moved.status_code == 200, moved.text
    # Two occurrences again from 1 April: the completion moves on instead of completing.
    again = await completed(client, moved.json())
    assert (again["completed"], again["due_at"]) == (False, "2026-04-02T07:00:00Z")


async def test_changing_the_zone_keeps_the_instant_and_repeats_at_its_new_wall_clock_time(
    client: Client,
) -> None:
    task = await repeating(client)
    tokyo = await client.patch(url(task), json={"time_zone": "Asia/Tokyo"}, headers=auth(ALICE))
    # 08:00Z is 17:00 in Tokyo, which has no daylight saving.
    assert (await completed(client, tokyo.json()))["due_at"] == "2026-03-03T08:00:00Z"


async def test_a_new_due_date_past_the_rules_end_is_a_422_on_due_at(client: Client) -> None:
    task = await repeating(client, recurrence="FREQ=DAILY;UNTIL=20260310T000000Z")
    response = await client.patch(url(task), json={"due_at": "2026-04-01T09:00:00Z"}, headers=auth(ALICE))
    assert problem_fields(response) == ["due_at"]


# --- listing ------------------------------------------------------------------------------------


async def test_the_due_date_filters_see_the_current_occurrence(client: Client) -> None:
    task = await repeating(client)
    await completed(client, task)
    before = await client.get("/api/tasks?due_before=2026-03-02T23:00:00Z", headers=auth(ALICE))
    after = await client.get("/api/tasks?due_after=2026-03-02T23:00:00Z", headers=auth(ALICE))
    assert [t["id"] for t in before.json()["items"]] == []
    assert [t["id"] for t in after.json()["items"]] == [task["id"]]


async def test_another_users_repeating_task_cannot_be_completed(client: Client) -> None:
    task = await repeating(client)
    response = await client.post(url(task, "/complete"), headers=auth(BOB))
    assert_problem(response, 404, "not-found")
    assert (await read(client, task))["due_at"] == "2026-03-02T08:00:00Z"


async def test_a_repeating_subtask_completed_with_its_parent_is_completed(client: Client) -> None:
    trip = await create(client, title="Trip")
    pack = await repeating(client, title="Pack", parent_id=trip["id"])
    await completed(client, trip)
    now = await read(client, pack)
    assert (now["completed"], now["due_at"], now["last_completed_at"]) == (True, "2026-03-02T08:00:00Z", None)


async def test_a_due_date_whose_wall_clock_time_is_outside_the_calendar_is_a_422(client: Client) -> None:
    body = DAILY | {"due_at": "9999-12-31T23:00:00Z", "time_zone": "Pacific/Kiritimati"}
    response = await client.post("/api/tasks", json=body, headers=auth(ALICE))
    assert problem_fields(response) == ["recurrence"]
