"""The attack catalogue: hostile input and hostile users get a clear status and change nothing.

Every case checks its status and that the users' data is exactly as before (both users' full
change feeds: every task, every version, every tombstone).
"""

from __future__ import annotations

import base64
import json
import statistics
import time
import uuid
from typing import Any

import pytest

from taskhub.entrypoints.container import Container
from tests.http.conftest import Client, auth
from tests.http.test_tasks_api import ALICE, BOB, assert_problem, create

INJECTIONS = [
    "' OR '1'='1",
    "'; DROP TABLE tasks; --",
    '" OR 1=1 --',
    "1); DELETE FROM tasks WHERE (1=1",
    "$$; TRUNCATE tasks; $$",
    "\\'; SELECT pg_sleep(5); --",
    "%' UNION SELECT owner_id FROM tasks --",
]


async def snapshot(client: Client) -> dict[str, Any]:
    """Everything both users can observe: their whole change feeds."""
    state = {}
    for user in (ALICE, BOB):
        response = await client.get("/api/tasks/changes?limit=100", headers=auth(user))
        assert response.status_code == 200
        state[user] = response.json()["changes"]
    return state


@pytest.fixture
async def seeded(client: Client) -> dict[str, Any]:
    alice_task = await create(client, user=ALICE, title="alice's", tags=["home"])
    await create(client, user=BOB, title="bob's")
    return alice_task


# --- broken object level authorisation (IDOR) -------------------------------------------------

IDOR = [
    ("GET", "", None),
    ("PUT", "", {"title": "mine now"}),
    ("PATCH", "", {"completed": True}),
    ("DELETE", "", None),
    ("POST", "/complete", None),
    ("POST", "/reopen", None),
]


@pytest.mark.parametrize(("method", "suffix", "body"), IDOR)
@pytest.mark.parametrize(
    "precondition", [{}, {"If-Match": "*"}, {"If-None-Match": "*"}, {"Idempotency-Key": "k"}]
)
async def test_another_users_task_can_be_neither_read_nor_changed(
    client: Client,
    seeded: dict[str, Any],
    method: str,
    suffix: str,
    body: Any,
    precondition: dict[str, str],
) -> None:
    before = await snapshot(client)
    response = await client.request(
        method, f"/api/tasks/{seeded['id']}{suffix}", json=body, headers={**auth(BOB), **precondition}
    )
    assert_problem(response, 404, "not-found")
    assert "alice" not in response.text
    assert await snapshot(client) == before


async def test_no_list_filter_or_search_reaches_another_users_tasks(
    client: Client, seeded: dict[str, Any]
) -> None:
    for query in ["", "q=alice", "tag=home", "sort=title", "completed=false", "priority=none"]:
        listed = await client.get(f"/api/tasks?{query}", headers=auth(BOB))
        assert "alice" not in listed.text


# --- injection ----------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", INJECTIONS)
async def test_sql_in_text_fields_is_stored_as_text(
    client: Client, seeded: dict[str, Any], payload: str
) -> None:
    before = await snapshot(client)
    created = await client.post(
        "/api/tasks",
        json={"title": payload, "description": payload, "tags": [payload[:40]]},
        headers=auth(BOB),
    )
    assert created.status_code == 201
    assert (created.json()["title"], created.json()["description"]) == (payload.strip(), payload)
    after = await snapshot(client)
    assert after[ALICE] == before[ALICE]
    assert len(after[BOB]) == len(before[BOB]) + 1


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize(("field", "status"), [("time_zone", 422), ("priority", 422), ("due_at", 422)])
async def test_sql_in_typed_fields_is_refused(
    client: Client, seeded: dict[str, Any], payload: str, field: str, status: int
) -> None:
    before = await snapshot(client)
    response = await client.post("/api/tasks", json={"title": "t", field: payload}, headers=auth(BOB))
    assert response.status_code == status
    assert await snapshot(client) == before


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize(
    ("parameter", "statuses"),
    [
        ("q", {200}),
        ("tag", {200}),
        ("sort", {400}),
        ("priority", {400}),
        ("due_before", {400}),
        ("cursor", {400}),
        ("limit", {400}),
        ("completed", {400}),
    ],
)
async def test_sql_in_query_parameters_changes_nothing(
    client: Client, seeded: dict[str, Any], payload: str, parameter: str, statuses: set[int]
) -> None:
    before = await snapshot(client)
    response = await client.get("/api/tasks", params={parameter: payload}, headers=auth(BOB))
    assert response.status_code in statuses
    assert "alice" not in response.text
    assert await snapshot(client) == before


@pytest.mark.parametrize("payload", INJECTIONS)
async def test_sql_in_a_sync_token_is_refused(client: Client, payload: str) -> None:
    response = await client.get("/api/tasks/changes", params={"since": payload}, headers=auth(BOB))
    assert_problem(response, 400, "invalid-parameter")


# --- JSON bombs and malformed bodies -------------------------------------------------------------


def raw_post(client: Client, body: bytes, user: str = BOB) -> Any:
    return client.post("/api/tasks", content=body, headers={**auth(user), "Content-Type": "application/json"})


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"[" * 30000 + b"]" * 30000, 422),  # deep nesting where an object is expected
        (b'{"title": "t", "tags": ' + b"[" * 30000 + b"]" * 30000 + b"}", 422),
        (b'{"title": "t", "x": ' + b"[" * 30000 + b"]" * 30000 + b"}", 422),  # deep nesting, unknown field
        (b'{"title": "t", "tags": [' + b'"a",' * 1_000_000 + b'"a"]}', 413),  # a 10^6-element array
        (b'{"title": "t", "priority": 1e999999}', 422),
        (b'{"title": 123456789012345678901234567890123456789}', 422),
        (b'{"title": "t", "completed": 1e400}', 422),
        (b'{"title": "a\\u0000b"}', 422),  # NUL as an escape
        (b'{"title": "a\x00b"}', 400),  # a raw NUL inside a JSON string
        (b'{"title": "a\xc0\xafb"}', 400),  # overlong UTF-8 for "/"
        (b'{"title": "a\xed\xa0\x80b"}', 400),  # a UTF-8-encoded surrogate
        (b'{"title": "\\ud800"}', 400),  # a lone surrogate escape
        (b"\xef\xbb\xbf" + b'{"title": "t"}', 400),  # a byte-order mark
    ],
    ids=[
        "deep-array",
        "deep-in-field",
        "deep-unknown-field",
        "million-elements",
        "huge-float",
        "huge-integer",
        "infinite-bool",
        "nul-escape",
        "raw-nul",
        "overlong-utf8",
        "encoded-surrogate",
        "lone-surrogate",
        "byte-order-mark",
    ],
)
async def test_hostile_bodies_get_a_clear_error_and_change_nothing(
    client: Client, seeded: dict[str, Any], body: bytes, status: int
) -> None:
    before = await snapshot(client)
    response = await raw_post(client, body)
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
    assert await snapshot(client) == before


async def test_duplicate_keys_take_the_last_value(client: Client) -> None:
    # RFC 8259 leaves duplicates to the parser; msgspec, taskhub's only JSON parser, keeps the last.
    response = await raw_post(client, b'{"title": "first", "title": "second"}')
    assert (response.status_code, response.json()["title"]) == (201, "second")


# --- headers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["abc def", "a" * 129, 'x"y', "<script>", "a\tb", "é-unicode"])
async def test_an_unsafe_request_id_is_replaced_not_echoed(client: Client, value: str) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": value.encode()})  # type: ignore[dict-item]
    assert response.headers["x-request-id"] != value
    assert len(response.headers["x-request-id"]) == 32


@pytest.mark.parametrize("value", ["", " " * 256, "tab\tkey", "é", "x" * 256])
async def test_an_unsafe_idempotency_key_is_refused(client: Client, value: str) -> None:
    response = await client.post(
        "/api/tasks",
        json={"title": "t"},
        headers={**auth(BOB), "Idempotency-Key": value.encode()},  # type: ignore[dict-item]
    )
    assert_problem(response, 400, "invalid-parameter")


@pytest.mark.parametrize(
    "override",
    [{"X-HTTP-Method-Override": "DELETE"}, {"X-Method-Override": "DELETE"}, {"X-HTTP-Method": "DELETE"}],
)
async def test_method_override_headers_are_ignored(client: Client, override: dict[str, str]) -> None:
    task = await create(client, user=BOB)
    response = await client.post(f"/api/tasks/{task['id']}/complete", headers={**auth(BOB), **override})
    assert response.status_code == 200
    assert (await client.get(f"/api/tasks/{task['id']}", headers=auth(BOB))).status_code == 200


async def test_a_method_query_parameter_is_ignored(client: Client) -> None:
    task = await create(client, user=BOB)
    await client.post(f"/api/tasks/{task['id']}/complete?_method=DELETE", headers=auth(BOB))
    assert (await client.get(f"/api/tasks/{task['id']}", headers=auth(BOB))).status_code == 200


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "PURGE", "LINK"])
async def test_verbs_outside_the_contract_are_refused(client: Client, method: str) -> None:
    response = await client.request(method, "/api/tasks", headers=auth(BOB))
    assert response.status_code in {404, 405}
    assert response.headers["content-type"] == "application/problem+json"


# --- paths and cursors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/tasks/..%2F..%2Fetc%2Fpasswd",
        "/api/tasks/%2e%2e",
        "/api/tasks/%00",
        "/api/tasks/" + "a" * 5000,
        "/api/tasks/00000000-0000-0000-0000-000000000000",
        "/api/tasks/{task_id}",
    ],
)
async def test_odd_ids_are_404(client: Client, path: str) -> None:
    assert_problem(await client.get(path, headers=auth(BOB)), 404, "not-found")


async def test_a_cursor_pointing_into_another_users_tasks_reveals_nothing(
    client: Client, seeded: dict[str, Any]
) -> None:
    for i in range(3):
        await create(client, user=ALICE, title=f"alice {i}")
    page = (await client.get("/api/tasks?limit=1", headers=auth(ALICE))).json()
    stolen = page["next_cursor"]
    payload = json.loads(base64.urlsafe_b64decode(stolen + "=" * (-len(stolen) % 4)))
    payload["i"] = seeded["id"]  # aim the boundary at one of alice's tasks
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    for cursor in (stolen, forged):
        response = await client.get(f"/api/tasks?limit=1&cursor={cursor}", headers=auth(BOB))
        assert response.status_code == 200
        assert "alice" not in response.text


# --- timing -------------------------------------------------------------------------------------


@pytest.mark.postgres
async def test_missing_and_foreign_tasks_take_the_same_path_to_404(
    database_url: str, clean_tables: None
) -> None:
    from taskhub.adapters.postgres.engine import PoolSettings  # noqa: PLC0415
    from taskhub.entrypoints.app import create_app  # noqa: PLC0415
    from taskhub.entrypoints.settings import Settings  # noqa: PLC0415
    from tests.http.conftest import SECRET, in_this_loop  # noqa: PLC0415

    # One read connection, so every read's statements reach the logger put on it.
    settings = Settings(database_url=database_url, auth_secret=SECRET, pool=PoolSettings(read_size=1))
    container = Container(settings=settings)
    statements: list[tuple[str, tuple[Any, ...]]] = []
    async with in_this_loop(create_app(container)) as client:
        async with container.read_pool().acquire() as connection:
            connection.add_query_logger(lambda logged: statements.append((logged.query, logged.args)))
        foreign = (await create(client, user=ALICE))["id"]
        missing = str(uuid.uuid4())

        async def probe(task_id: str) -> tuple[list[tuple[str, tuple[Any, ...]]], float]:
            statements.clear()
            started = time.perf_counter()
            response = await client.get(f"/api/tasks/{task_id}", headers=auth(BOB))
            elapsed = time.perf_counter() - started
            assert response.status_code == 404
            return list(statements), elapsed

        await probe(str(uuid.uuid4()))  # asyncpg looks up the statement's types on first use
        foreign_sql, _ = await probe(foreign)
        missing_sql, _ = await probe(missing)
        # The same statement, one SELECT filtered by id and owner, differing only in the id asked.
        assert len(foreign_sql) == len(missing_sql) == 1
        (foreign_query, foreign_args), (missing_query, missing_args) = foreign_sql[0], missing_sql[0]
        assert foreign_query == missing_query
        assert {str(a) for a in foreign_args} == {foreign, "bob"}
        assert {str(a) for a in missing_args} == {missing, "bob"}

        times: dict[str, list[float]] = {"foreign": [], "missing": []}
        for _ in range(40):
            for kind, task_id in (("foreign", foreign), ("missing", missing)):
                times[kind].append((await probe(task_id))[1])
    ratio = statistics.median(times["foreign"]) / statistics.median(times["missing"])
    assert 1 / 3 < ratio < 3, ratio  # within noise: nothing an attacker can use to tell them apart


async def test_headers_over_32_kib_are_431(client: Client) -> None:
    response = await client.get("/api/tasks", headers={**auth(BOB), "X-Filler": "a" * 40_000})
    assert_problem(response, 431, "headers-too-large")
