"""docs/api.md and the OpenAPI document say the same thing: the same routes, each with the same
statuses, the same task fields, the same listing parameters; and docs/errors.md lists every
problem type the code can answer with. Either one changed alone fails here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from taskhub.entrypoints.app import create_app
from tests.http.conftest import make_container
from tests.support.storage import use_memory

ROOT = Path(__file__).resolve().parents[2]
API = (ROOT / "docs" / "api.md").read_text()
ERRORS = (ROOT / "docs" / "errors.md").read_text()
HTTP_SOURCES = sorted((ROOT / "src" / "taskhub" / "entrypoints" / "http").glob("*.py"))


@pytest.fixture(scope="module")
async def document() -> dict[str, Any]:
    container = make_container("postgresql://unused@localhost/unused")
    use_memory(container)
    async with AsyncTestClient(app=create_app(container)) as client:
        served: dict[str, Any] = (await client.get("/schema/openapi.json")).json()
        return served


def section(text: str, heading: str) -> str:
    """The text under `heading` (any level), up to the next heading."""
    match = re.search(rf"^#+ {re.escape(heading)}\n", text, re.MULTILINE)
    assert match, f"no section {heading!r}"
    rest = text[match.end() :]
    end = re.search(r"^#+ ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


def table_rows(text: str) -> list[list[str]]:
    """The cells of a markdown table's body rows (not its header or rule)."""
    rows = [line for line in text.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def documented_routes() -> dict[tuple[str, str], set[str]]:
    routes = {}
    for cells in table_rows(section(API, "Routes")):
        method, path = cells[0].strip("`").split(" ", 1)
        routes[(method, path)] = set(cells[-1].split())
    return routes


def served_routes(document: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    return {
        (method.upper(), path): set(operation["responses"])
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


async def test_the_reference_lists_every_route_and_no_other(document: dict[str, Any]) -> None:
    assert set(documented_routes()) == set(served_routes(document))


async def test_each_route_answers_the_statuses_the_reference_lists(document: dict[str, Any]) -> None:
    served = served_routes(document)
    for route, statuses in documented_routes().items():
        assert statuses == served[route], route


async def test_the_task_fields_are_the_ones_a_task_is_read_with(document: dict[str, Any]) -> None:
    fields = [cells[0].strip("`") for cells in table_rows(section(API, "Task"))]
    assert fields == list(document["components"]["schemas"]["TaskRead"]["properties"])


async def test_the_writable_fields_are_the_ones_a_create_takes(document: dict[str, Any]) -> None:
    writable = [cells[0].strip("`") for cells in table_rows(section(API, "Task")) if "client" in cells[2]]
    assert writable == list(document["components"]["schemas"]["TaskCreate"]["properties"])


async def test_the_listing_parameters_are_the_ones_the_listing_takes(document: dict[str, Any]) -> None:
    parameters = {cells[0].strip("`") for cells in table_rows(section(API, "Listing"))}
    served = {parameter["name"] for parameter in document["paths"]["/api/tasks"]["get"]["parameters"]}
    assert parameters == served


def problem_types_in_the_code() -> set[str]:
    """Every problem slug the HTTP adapter can answer with, found in its source."""
    found: set[str] = set()
    for source in HTTP_SOURCES:
        text = source.read_text()
        found |= set(re.findall(r'ProblemKind\(\d{3}, "([a-z-]+)"', text))
        found |= set(re.findall(r'problem_type\("([a-z-]+)"\)', text))
    return found


def test_the_errors_page_lists_every_problem_type_the_code_answers_with() -> None:
    listed = {cells[0].strip("`") for cells in table_rows(ERRORS) if cells[0].startswith("`")}
    in_code = problem_types_in_the_code()
    assert len(in_code) >= 15
    assert listed == in_code
