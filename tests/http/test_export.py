"""`GET /api/export` over HTTP (docs/api.md, "Export"), on every storage: the JSON document holds
every live list and task of the caller exactly as the API reads them; the iCalendar file has one
VTODO per task with the contract's mapping and a VTIMEZONE per zone, read back here by hand
(RFC 5545's content lines) and by a second, independent implementation (`recurring-ical-events`
expands the rules as a calendar application would)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import pytest
import recurring_ical_events
from dependency_injector import providers

from taskhub.adapters.icalendar_writer import IcalendarWriter
from taskhub.application.export import ExportService
from taskhub.entrypoints.app import create_app
from taskhub.entrypoints.container import Container
from tests.http.conftest import Client, auth, in_this_loop
from tests.http.test_lists_api import field_errors, make_list
from tests.http.test_subtasks_and_moves import read
from tests.http.test_tasks_api import ALICE, BOB, assert_problem, create

EXPORT = "/api/export"


async def exported(client: Client, user: str = ALICE) -> dict[str, Any]:
    response = await client.get(EXPORT, headers=auth(user))
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


async def calendar(client: Client, user: str = ALICE) -> str:
    response = await client.get(EXPORT, params={"format": "ics"}, headers=auth(user))
    assert response.status_code == 200, response.text
    return response.text


async def listed(client: Client, user: str = ALICE) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await client.get("/api/lists", headers=auth(user))).json()["items"]
    return items


async def complete(client: Client, task: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"/api/tasks/{task['id']}/complete", headers=auth(ALICE))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# --- the JSON document ------------------------------------------------------------------------


async def test_the_json_export_holds_every_list_and_task_as_the_api_reads_them(client: Client) -> None:
    groceries, work = await make_list(client, "Groceries"), await make_list(client, "Work")
    milk = await create(client, title="Milk", list_id=groceries["id"], tags=["dairy"])
    report = await create(client, title="Report", list_id=work["id"], due_at="2026-12-24T18:00:00+01:00")
    section = await create(client, title="Section 2", parent_id=report["id"])
    inbox = await create(client, title="Call mum", priority="high")

    document = await exported(client)

    assert list(document) == ["exported_at", "lists", "tasks"]
    assert document["exported_at"].endswith("Z")
    assert datetime.fromisoformat(document["exported_at"]) > datetime.now(UTC) - timedelta(minutes=1)
    assert document["lists"] == await listed(client)
    assert document["tasks"] == [await read(client, task) for task in (milk, report, section, inbox)]


async def test_the_json_export_is_an_attachment_with_the_api_headers(client: Client) -> None:
    response = await client.get(EXPORT, params={"format": "json"}, headers=auth(ALICE))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"] == 'attachment; filename="taskhub-export.json"'
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-request-id"]


async def test_another_users_lists_and_tasks_never_appear(client: Client) -> None:
    mine = await create(client, title="mine")
    their_list = await make_list(client, "theirs", user=BOB)
    theirs = await create(client, BOB, title="theirs", list_id=their_list["id"])

    assert [task["id"] for task in (await exported(client))["tasks"]] == [mine["id"]]
    assert (await exported(client))["lists"] == []
    assert [task["id"] for task in (await exported(client, BOB))["tasks"]] == [theirs["id"]]
    assert theirs["id"] not in await calendar(client)


async def test_deleted_tasks_and_lists_never_appear(client: Client) -> None:
    kept = await create(client, title="kept")
    deleted = await create(client, title="deleted")
    doomed = await make_list(client, "doomed")
    await create(client, title="in the doomed list", list_id=doomed["id"])
    assert (await client.delete(f"/api/tasks/{deleted['id']}", headers=auth(ALICE))).status_code == 204
    assert (await client.delete(f"/api/lists/{doomed['id']}", headers=auth(ALICE))).status_code == 204

    document = await exported(client)

    assert (document["lists"], document["tasks"]) == ([], [await read(client, kept)])
    assert [todo["UID"].value for todo in todos(await calendar(client))] == [kept["id"]]


async def test_an_account_with_nothing_exports_an_empty_document_and_calendar(client: Client) -> None:
    assert {k: v for k, v in (await exported(client)).items() if k != "exported_at"} == {
        "lists": [],
        "tasks": [],
    }
    text = await calendar(client)
    assert (text.startswith("BEGIN:VCALENDAR\r\n"), text.endswith("END:VCALENDAR\r\n")) == (True, True)
    assert todos(text) == []


async def test_an_unknown_format_is_a_400_naming_format(client: Client) -> None:
    response = await client.get(EXPORT, params={"format": "xml"}, headers=auth(ALICE))
    assert field_errors(assert_problem(response, 400, "invalid-parameter")) == ["format"]


# --- iCalendar, read by hand: RFC 5545 section 3.1 ----------------------------------------------


@dataclass(frozen=True)
class Line:
    name: str
    parameters: dict[str, str]
    value: str

    @property
    def text(self) -> str:
        """The value as TEXT (section 3.3.11): escapes undone."""
        return unescape(self.value)

    @property
    def texts(self) -> list[str]:
        """The value as a list of TEXT, split at unescaped commas (CATEGORIES)."""
        return [unescape(part) for part in re.split(r"(?<!\\),", self.value)]


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def content_lines(text: str) -> list[Line]:
    assert re.search(r"(?<!\r)\n", text) is None, "every line ends with CRLF"
    unfolded = re.sub(r"\r\n[ \t]", "", text)
    lines = []
    for raw in unfolded.split("\r\n")[:-1]:
        head, _, value = raw.partition(":")
        name, *parameters = head.split(";")
        lines.append(Line(name, dict(p.split("=", 1) for p in parameters), value))
    return lines


def components(text: str, kind: str) -> list[dict[str, Line]]:
    """The properties of each `kind` component, by name (those of its subcomponents left out)."""
    found: list[dict[str, Line]] = []
    depth, current = 0, None
    for line in content_lines(text):
        if line.name == "BEGIN":
            depth += 1
            if line.value == kind:
                current, depth = {}, 0
        elif line.name == "END":
            if line.value == kind and current is not None:
                found.append(current)
                current = None
            depth -= 1
        elif current is not None and depth == 0:
            current[line.name] = line
    return found


def todos(text: str) -> list[dict[str, Line]]:
    return components(text, "VTODO")


def basic_utc(moment: str) -> str:
    """An API time as an iCalendar UTC DATE-TIME."""
    return datetime.fromisoformat(moment).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def one(text: str, task: dict[str, Any]) -> dict[str, Line]:
    (todo,) = [todo for todo in todos(text) if todo["UID"].value == task["id"]]
    return todo


async def test_the_calendar_export_is_a_text_calendar_attachment_with_the_api_headers(client: Client) -> None:
    await create(client)
    response = await client.get(EXPORT, params={"format": "ics"}, headers=auth(ALICE))
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="taskhub-export.ics"'
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    lines = content_lines(response.text)
    assert (lines[0].value, lines[-1].value) == ("VCALENDAR", "VCALENDAR")
    assert {line.name: line.value for line in lines}["VERSION"] == "2.0"
    assert len(todos(response.text)) == 1


async def test_each_task_is_one_vtodo_mapped_as_the_contract_says(client: Client) -> None:
    parent = await create(client, title="Christmas")
    task = await create(
        client,
        title="Buy milk",
        description="Oat, not dairy.",
        due_at="2026-12-24T18:00:00+01:00",
        time_zone="Europe/Paris",
        priority="high",
        tags=["home", "shopping"],
        parent_id=parent["id"],
        recurrence="FREQ=WEEKLY;BYDAY=MO,TH",
    )
    patched = await client.patch(
        f"/api/tasks/{task['id']}", json={"title": "Buy oat milk"}, headers=auth(ALICE)
    )
    assert patched.status_code == 200
    task = await read(client, task)

    todo = one(await calendar(client), task)

    assert todo["SUMMARY"].text == "Buy oat milk"
    assert todo["DESCRIPTION"].text == "Oat, not dairy."
    assert (todo["DUE"].parameters, todo["DUE"].value) == ({"TZID": "Europe/Paris"}, "20261224T180000")
    assert todo["STATUS"].value == "NEEDS-ACTION"
    assert "COMPLETED" not in todo
    assert todo["PRIORITY"].value == "1"
    assert todo["CATEGORIES"].texts == ["home", "shopping"]
    assert sorted(todo["RRULE"].value.split(";")) == ["BYDAY=MO,TH", "FREQ=WEEKLY"]
    assert todo["RELATED-TO"].value == parent["id"]
    assert todo["CREATED"].value == basic_utc(task["created_at"])
    assert todo["LAST-MODIFIED"].value == basic_utc(task["updated_at"])
    assert (task["version"], todo["SEQUENCE"].value) == (2, "1")
    assert todo["DTSTAMP"].value.endswith("Z")


async def test_a_completed_task_has_its_status_and_completion_time(client: Client) -> None:
    task = await complete(client, await create(client))

    todo = one(await calendar(client), task)

    assert (todo["STATUS"].value, todo["COMPLETED"].value) == ("COMPLETED", basic_utc(task["completed_at"]))


async def test_a_task_without_a_zone_is_due_in_utc_and_what_it_lacks_is_left_out(client: Client) -> None:
    task = await create(client, due_at="2026-12-24T18:00:00+01:00")

    todo = one(await calendar(client), task)

    assert (todo["DUE"].parameters, todo["DUE"].value) == ({}, "20261224T170000Z")
    assert set(todo) == {
        "UID", "DTSTAMP", "SUMMARY", "DUE", "STATUS", "CREATED", "LAST-MODIFIED", "SEQUENCE",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("priority", "expected"), [("high", "1"), ("medium", "5"), ("low", "9"), ("none", None)]
)
async def test_priorities_are_1_5_9_and_none_is_left_out(
    client: Client, priority: str, expected: str | None
) -> None:
    task = await create(client, priority=priority)

    todo = one(await calendar(client), task)

    assert (todo["PRIORITY"].value if "PRIORITY" in todo else None) == expected


async def test_a_vtimezone_comes_first_for_each_zone_a_due_date_is_shown_in(client: Client) -> None:
    for zone in ("Europe/Paris", "America/New_York", "Asia/Tokyo", "Europe/Paris"):
        await create(client, due_at="2026-07-01T12:00:00Z", time_zone=zone)
    await create(client, time_zone="Australia/Sydney")  # no due date: nothing shown in that zone

    text = await calendar(client)

    zones = [zone["TZID"].value for zone in components(text, "VTIMEZONE")]
    assert sorted(zones) == ["America/New_York", "Asia/Tokyo", "Europe/Paris"]
    assert {todo["DUE"].parameters["TZID"] for todo in todos(text) if "DUE" in todo} == set(zones)
    assert text.rindex("END:VTIMEZONE") < text.index("BEGIN:VTODO")


async def test_commas_semicolons_backslashes_and_newlines_survive(client: Client) -> None:
    task = await create(
        client,
        title=r"Milk, eggs; bread \ butter",
        description="First line,\nsecond; line \\ with a backslash",
        tags=["a,b", "c;d"],
    )

    text = await calendar(client)
    todo = one(text, task)

    assert todo["SUMMARY"].text == r"Milk, eggs; bread \ butter"
    assert todo["DESCRIPTION"].text == "First line,\nsecond; line \\ with a backslash"
    assert todo["CATEGORIES"].texts == ["a,b", "c;d"]
    parsed = icalendar.Calendar.from_ical(text).walk("VTODO")[0]
    assert (str(parsed["SUMMARY"]), str(parsed["DESCRIPTION"])) == (task["title"], task["description"])


# --- repeating tasks: the calendar's expansion is the API's own schedule --------------------------

# (what to create, completions before exporting, occurrences to compare)
REPEATING = {
    "daily in Paris, across the spring change": (
        {"due_at": "2026-03-27T09:00:00+01:00", "time_zone": "Europe/Paris", "recurrence": "FREQ=DAILY"},
        0,
        5,
    ),
    "twice a week in New York, across the autumn change": (
        {
            "due_at": "2026-10-28T18:00:00-04:00",
            "time_zone": "America/New_York",
            "recurrence": "FREQ=WEEKLY;BYDAY=MO,WE",
        },
        0,
        5,
    ),
    "at 02:30 in New York, moved on to the day the spring change skips it": (
        {"due_at": "2026-03-06T02:30:00-05:00", "time_zone": "America/New_York", "recurrence": "FREQ=DAILY"},
        2,
        5,
    ),
    "the last weekday of the month, already moved on twice": (
        {
            "due_at": "2026-01-30T17:00:00Z",
            "recurrence": "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
        },
        2,
        4,
    ),
    "four times, already moved on once": (
        {"due_at": "2026-05-01T12:00:00Z", "recurrence": "FREQ=DAILY;COUNT=4"},
        1,
        10,
    ),
    "weekly until a date in Tokyo": (
        {
            "due_at": "2026-03-02T20:00:00+09:00",
            "time_zone": "Asia/Tokyo",
            "recurrence": "FREQ=WEEKLY;UNTIL=20260316",
        },
        0,
        10,
    ),
    "twice on Tuesdays, due on a Monday": (
        {"due_at": "2026-03-02T09:00:00Z", "recurrence": "FREQ=WEEKLY;BYDAY=TU;COUNT=2"},
        0,
        10,
    ),
}


async def schedule(client: Client, task: dict[str, Any], count: int) -> list[datetime]:
    """The task's due dates as completing it moves it on, up to `count`, or until a completion
    completes it (its rule has no occurrence left)."""
    dues = [datetime.fromisoformat(task["due_at"])]
    while len(dues) < count:
        task = await complete(client, task)
        if task["completed"]:
            break
        dues.append(datetime.fromisoformat(task["due_at"]))
    return dues


def expanded(text: str, task: dict[str, Any], count: int) -> list[datetime]:
    occurrences = recurring_ical_events.of(icalendar.Calendar.from_ical(text), components=["VTODO"])
    mine = (todo for todo in occurrences.after(datetime(2000, 1, 1)) if str(todo["UID"]) == task["id"])
    return [todo["DUE"].dt.astimezone(UTC) for _, todo in zip(range(count), mine, strict=False)]


@pytest.mark.parametrize(("body", "moved_on", "count"), list(REPEATING.values()), ids=list(REPEATING))
async def test_a_repeating_tasks_rule_expands_to_the_due_dates_the_api_moves_it_to(
    client: Client, body: dict[str, Any], moved_on: int, count: int
) -> None:
    task = await create(client, title="Repeats", **body)
    for _ in range(moved_on):
        task = await complete(client, task)

    in_the_calendar = expanded(await calendar(client), task, count)

    assert in_the_calendar == await schedule(client, task, count)


async def test_an_export_over_the_users_limit_is_a_429_with_retry_after(container: Container) -> None:
    full = ExportService(container.export_reader(), IcalendarWriter(), container.clock(), exports_per_user=0)
    container.export_service.override(providers.Object(full))
    async with in_this_loop(create_app(container)) as client:
        response = await client.get(EXPORT, headers=auth(ALICE))
    assert_problem(response, 429, "too-many-exports")
    assert response.headers["retry-after"] == "10"
