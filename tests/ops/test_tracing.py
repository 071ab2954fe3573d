"""Tracing through the real app on PostgreSQL, its spans kept in memory.

A trace says which route a request took, which statements it ran and how long each lasted; never
which task, whose, or what it says. Each app gets a tracer provider of its own (the global one can
be set once per process), with an in-memory exporter.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from asyncpg.pool import PoolConnectionProxy
from litestar.testing import AsyncTestClient
from opentelemetry.instrumentation._semconv import _OpenTelemetrySemanticConventionStability
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from taskhub.entrypoints.app import create_app
from tests.http.conftest import make_container, token_for

pytestmark = pytest.mark.postgres

# What a statement's span may say: the database, the statement's name, the rows it returned.
STATEMENT_ATTRIBUTES = {"db.system", "db.query.summary", "db.response.returned_rows"}


@dataclass
class Traced:
    """Requests made one after the other: the statements the driver was given during each, and
    what no span may ever hold."""

    exporter: InMemorySpanExporter
    sent: list[str] = field(default_factory=list)
    sent_by_request: list[list[str]] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)

    async def request(self, call: Awaitable[Any]) -> Any:
        self.sent.clear()
        response = await call
        self.sent_by_request.append(list(self.sent))
        return response

    def spans(self) -> tuple[ReadableSpan, ...]:
        return tuple(self.exporter.get_finished_spans())

    def request_spans(self) -> list[ReadableSpan]:
        return [span for span in self.spans() if span.kind is SpanKind.SERVER]

    def statement_spans(self) -> list[ReadableSpan]:
        return [span for span in self.spans() if span.kind is SpanKind.CLIENT]

    def statements_by_request(self) -> list[list[str]]:
        """The names of each request's statement spans, in the order they started."""
        children: dict[int, list[ReadableSpan]] = {}
        for span in self.statement_spans():
            assert span.parent is not None
            children.setdefault(span.parent.span_id, []).append(span)
        return [
            [child.name for child in sorted(children.get(request.context.span_id, []), key=_start)]
            for request in self.request_spans()
        ]


def _start(span: ReadableSpan) -> int:
    return span.start_time or 0


def attributes(span: ReadableSpan) -> Mapping[str, Any]:
    return span.attributes or {}


def everything_said(span: ReadableSpan) -> list[str]:
    """A span's name and every value it carries, its events' included, as text."""
    said = [span.name, *(str(value) for value in attributes(span).values())]
    for event in span.events:
        said += [event.name, *(str(value) for value in (event.attributes or {}).values())]
    return said


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL of every statement the app gives asyncpg through a pooled connection: what the spans
    are counted against, seen by the driver rather than by the code that makes the spans."""
    seen: list[str] = []

    def recording(name: str) -> Callable[..., Any]:
        original = getattr(PoolConnectionProxy, name)

        def record(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
            seen.append(query)
            return original(self, query, *args, **kwargs)

        return record

    for name in ("execute", "fetch", "fetchrow", "fetchval"):
        monkeypatch.setattr(PoolConnectionProxy, name, recording(name))
    return seen


@pytest.fixture
def http_conventions(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The HTTP conventions the ASGI instrumentation follows: its default (the old ones), or as
    `request.param` says (OTEL_SEMCONV_STABILITY_OPT_IN), whose attributes differ (`url.path`,
    `url.query`, `url.full`). It reads the variable once per process: that reading is undone for
    the apps the test makes, and restored after it."""
    opt_in = getattr(request, "param", None)
    if opt_in is None:
        return
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", opt_in)
    monkeypatch.setattr(_OpenTelemetrySemanticConventionStability, "_initialized", False)
    monkeypatch.setattr(
        _OpenTelemetrySemanticConventionStability, "_OTEL_SEMCONV_STABILITY_SIGNAL_MAPPING", {}
    )


CONVENTIONS = pytest.mark.parametrize(
    "http_conventions", [None, "http/dup"], ids=["default-conventions", "stable-conventions"], indirect=True
)


def traced_app(database_url: str) -> tuple[Any, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return create_app(make_container(database_url), tracer_provider=provider), exporter


@pytest.fixture
async def traced(database_url: str, clean_tables: None, sent: list[str], http_conventions: None) -> Traced:
    """A task's life on a traced app: created with a secret-looking title and description, read,
    changed, found by a word of its title, and an unknown task asked for (404)."""
    app, exporter = traced_app(database_url)
    owner = f"owner-{uuid.uuid4().hex}"
    token = token_for(owner)
    word = f"zebra{uuid.uuid4().hex}"
    title, description = f"{word} secret title", f"secret description {uuid.uuid4().hex}"
    new_title = f"renamed secret {uuid.uuid4().hex}"
    unknown = str(uuid.uuid4())
    headers = {"Authorization": f"Bearer {token}"}
    recorder = Traced(exporter, sent=sent)
    async with AsyncTestClient(app=app) as client:
        created = await recorder.request(
            client.post("/api/tasks", json={"title": title, "description": description}, headers=headers)
        )
        assert created.status_code == 201, created.text
        task_id = created.json()["id"]
        statuses = [
            (await recorder.request(call)).status_code
            for call in (
                client.get(f"/api/tasks/{task_id}", headers=headers),
                client.patch(f"/api/tasks/{task_id}", json={"title": new_title}, headers=headers),
                client.get("/api/tasks", params={"q": word}, headers=headers),
                client.get(f"/api/tasks/{unknown}", headers=headers),
            )
        ]
        assert statuses == [200, 200, 200, 404]
    recorder.secrets = [task_id, unknown, title, description, new_title, word, token, owner]
    return recorder


async def test_request_spans_are_named_by_route_template(traced: Traced) -> None:
    assert [span.name for span in traced.request_spans()] == [
        "POST /api/tasks",
        "GET /api/tasks/{task_id}",
        "PATCH /api/tasks/{task_id}",
        "GET /api/tasks",
        "GET /api/tasks/{task_id}",
    ]
    assert {attributes(span)["http.route"] for span in traced.request_spans()} == {
        "/api/tasks",
        "/api/tasks/{task_id}",
    }


@CONVENTIONS
async def test_no_span_holds_a_task_id_its_content_a_search_word_the_owner_or_the_token(
    traced: Traced,
) -> None:
    said = [text for span in traced.spans() for text in everything_said(span)]
    for secret in traced.secrets:
        assert not [text for text in said if secret in text], secret


async def test_statement_spans_are_children_of_their_request_span(traced: Traced) -> None:
    requests = {span.context.span_id: span for span in traced.request_spans()}
    statements = traced.statement_spans()
    assert statements
    for span in statements:
        assert span.parent is not None
        assert span.parent.span_id in requests
        assert span.context.trace_id == requests[span.parent.span_id].context.trace_id


async def test_each_statement_executed_has_one_span_named_after_it(traced: Traced) -> None:
    # A create, a read, a change and a search are one statement each; the 404 is the read's.
    assert traced.statements_by_request() == [
        ["tasks.insert"],
        ["tasks.get"],
        ["tasks.revise"],
        ["tasks.find"],
        ["tasks.get"],
    ]
    assert [len(sent) for sent in traced.sent_by_request] == [1, 1, 1, 1, 1]
    assert len(traced.statement_spans()) == 5


async def test_statement_spans_say_postgresql_and_never_sql_or_parameters(traced: Traced) -> None:
    for span in traced.statement_spans():
        assert set(attributes(span)) <= STATEMENT_ATTRIBUTES, span.name
        assert attributes(span)["db.system"] == "postgresql"
        assert attributes(span)["db.query.summary"] == span.name
    returned = [attributes(span).get("db.response.returned_rows") for span in traced.statement_spans()]
    # The unknown task's read returned no row.
    assert returned[-1] == 0


@CONVENTIONS
async def test_a_request_matching_no_route_is_named_by_its_method_alone(
    database_url: str, clean_tables: None, http_conventions: None
) -> None:
    app, exporter = traced_app(database_url)
    hidden = uuid.uuid4().hex
    async with AsyncTestClient(app=app) as client:
        response = await client.get(f"/api/nowhere/{hidden}", params={"q": hidden})
    assert response.status_code == 404
    (span,) = exporter.get_finished_spans()
    assert span.name == "GET"
    assert not [text for text in everything_said(span) if hidden in text]


async def test_a_transaction_has_a_span_for_its_begin_and_its_end_too(
    database_url: str, clean_tables: None, sent: list[str]
) -> None:
    # The change feed reads tasks and lists in one snapshot, a transaction of its own, then the
    # owner's watermark (after the changes, for the token it hands out).
    app, exporter = traced_app(database_url)
    recorder = Traced(exporter, sent=sent)
    async with AsyncTestClient(app=app) as client:
        response = await recorder.request(
            client.get("/api/changes", headers={"Authorization": f"Bearer {token_for('someone')}"})
        )
    assert response.status_code == 200
    assert recorder.statements_by_request() == [
        ["BEGIN", "tasks.changes", "lists.changes", "ROLLBACK", "sync.watermark"]
    ]
    assert [len(sent) for sent in recorder.sent_by_request] == [5]


async def test_a_failing_statement_span_says_the_kind_of_error_never_its_message(
    database_with_a_bug: str,
) -> None:
    app, exporter = traced_app(database_with_a_bug)
    title = f"Doomed-{uuid.uuid4().hex}"
    async with AsyncTestClient(app=app) as client:
        response = await client.post(
            "/api/tasks", json={"title": title}, headers={"Authorization": f"Bearer {token_for('someone')}"}
        )
    assert response.status_code == 500
    (statement,) = [span for span in exporter.get_finished_spans() if span.kind is SpanKind.CLIENT]
    assert statement.status.status_code is StatusCode.ERROR
    assert attributes(statement)["error.type"] == "CheckViolationError"
    assert attributes(statement)["db.response.status_code"] == "23514"
    for span in exporter.get_finished_spans():
        assert not [text for text in everything_said(span) if title in text], span.name


NO_OPENTELEMETRY = """
import json
import sys
sys.modules["opentelemetry"] = None  # as if the otel extra were not installed
from litestar.testing import TestClient
from taskhub.entrypoints.app import create_app
from taskhub.entrypoints.container import Container
from taskhub.entrypoints.settings import Settings

env = {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", **json.loads(sys.argv[1])}
settings = Settings.from_env(env)
with TestClient(app=create_app(Container(settings=settings))) as client:
    assert client.get("/health/live").status_code == 200
print(sorted(name for name in sys.modules if name.startswith("taskhub") and "tracing" in name))
"""


def without_opentelemetry(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The app built from the settings `env` gives, and asked whether it is alive, in a process
    where OpenTelemetry cannot be imported."""
    return subprocess.run(  # noqa: S603 - the test's own interpreter and script
        [sys.executable, "-c", NO_OPENTELEMETRY, json.dumps(env)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_without_an_endpoint_the_app_runs_without_opentelemetry_and_loads_no_tracing_code() -> None:
    ran = without_opentelemetry({})
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "[]"


def test_an_endpoint_without_opentelemetry_installed_stops_the_app_naming_the_extra() -> None:
    ran = without_opentelemetry({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert ran.returncode != 0
    assert "pip install 'taskhub[otel]'" in ran.stderr
