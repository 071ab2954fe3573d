"""`GET /api/export`: everything the caller has, as one JSON document or as an iCalendar file,
written while it is read (application/export.py), so that 100,000 tasks take no more memory
than 100.

The handler reads the first part before it answers: a database it cannot reach is then still a
503 problem, not a 200 cut short. Past that point a failure can only end the download early;
the client sees an incomplete body (no closing `]}` or `END:VCALENDAR`) and asks again.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Final

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Schema,
)
from litestar.params import QueryParameter
from litestar.response import Stream

from taskhub.application.export import ExportService
from taskhub.domain.errors import InvalidParameter
from taskhub.domain.model import UserId
from taskhub.entrypoints.http.examples import TASK
from taskhub.entrypoints.http.list_schemas import ListRead, list_read
from taskhub.entrypoints.http.openapi import JSON, example
from taskhub.entrypoints.http.problems import problem_responses
from taskhub.entrypoints.http.schemas import TaskRead, task_read

CALENDAR: Final = "text/calendar"
# Format: (media type, file name).
FORMATS: Final = {"json": (JSON, "taskhub-export.json"), "ics": (CALENDAR, "taskhub-export.ics")}
# Parts are sent in chunks of about this size: one ASGI message each, not one per task.
CHUNK_BYTES: Final = 32 * 1024
# Making parts takes the event loop from other requests (an iCalendar task takes about 0.4 ms):
# it is handed back at least this often.
SLICE_SECONDS: Final = 0.005

_encode = msgspec.json.Encoder().encode


class ExportDocument(msgspec.Struct, kw_only=True):
    """The JSON export, as the schema states it (the body itself is written part by part)."""

    exported_at: datetime
    lists: list[ListRead]
    tasks: list[TaskRead]  # type: ignore[valid-type]


@dataclass
class ExportOperation(Operation):
    """The answer is JSON, or iCalendar text with `format=ics`: two media types for one status,
    where the generator knows of one; and it is a file to save (a header the generator states only
    on the answers it makes itself)."""

    def __post_init__(self) -> None:
        answer = (self.responses or {}).get("200")
        if isinstance(answer, OpenAPIResponse) and answer.content is not None:
            answer.content[CALENDAR] = OpenAPIMediaType(
                schema=Schema(type=OpenAPIType.STRING, description="RFC 5545: one VTODO per task")
            )
            answer.headers = {
                "Content-Disposition": OpenAPIHeader(
                    schema=Schema(type=OpenAPIType.STRING),
                    description='`attachment; filename="taskhub-export.json"` (`.ics` for iCalendar)',
                )
            }


FormatParameter = Annotated[
    str,
    QueryParameter(
        name="format",
        description="`json` (default): every list and task as the API reads them; `ics`: an iCalendar "
        "file, one VTODO per task, that calendar applications reading VTODO import.",
        enum=list(FORMATS),
    ),
]


def provide_exports(request: Request[Any, Any, Any]) -> ExportService:
    service: ExportService = request.app.state.container.export_service()
    return service


async def _document(exports: ExportService, owner: UserId) -> AsyncGenerator[bytes, None]:
    async with exports.everything(owner) as export:
        lists = _encode([list_read(task_list) for task_list in export.lists])
        yield b'{"exported_at":' + _encode(export.exported_at) + b',"lists":' + lists + b',"tasks":['
        separator = b""
        async for task in export.tasks:
            yield separator + _encode(task_read(task))
            separator = b","
        yield b"]}"


async def _chunked(parts: AsyncGenerator[bytes, None]) -> AsyncGenerator[bytes, None]:
    """`parts` joined into chunks of about CHUNK_BYTES, the event loop handed back to other
    requests every SLICE_SECONDS."""
    loop = asyncio.get_running_loop()
    buffer = bytearray()
    handed_back = loop.time()
    async with aclosing(parts):
        async for part in parts:
            buffer += part
            if len(buffer) >= CHUNK_BYTES:
                yield bytes(buffer)
                buffer.clear()
            if loop.time() - handed_back >= SLICE_SECONDS:
                await asyncio.sleep(0)
                handed_back = loop.time()
    if buffer:
        yield bytes(buffer)


async def _resumed(first: bytes, rest: AsyncGenerator[bytes, None]) -> AsyncGenerator[bytes, None]:
    # Closing this closes what reads the export, whether the download ended, failed or was given up.
    async with aclosing(rest):
        yield first
        async for chunk in rest:
            yield chunk


Exports = NamedDependency[ExportService]
AuthedRequest = Request[UserId, Any, Any]


class ExportController(Controller):
    path = "/export"
    tags = ["export"]
    dependencies = {"exports": Provide(provide_exports, sync_to_thread=False)}

    @get(
        "/",
        summary="Everything you have: every list and task, as JSON or as an iCalendar file",
        operation_class=ExportOperation,
        responses={
            200: ResponseSpec(
                data_container=ExportDocument,
                generate_examples=False,
                description="Every live list and task of yours, lists by position, tasks by creation; "
                "an attachment, streamed",
                examples=example(
                    "One task, no list",
                    {"exported_at": "2026-12-02T10:00:00Z", "lists": [], "tasks": [TASK]},
                ),
            )
        }
        | problem_responses(400, 401, 503),
    )
    async def export(
        self, request: AuthedRequest, exports: Exports, export_format: FormatParameter = "json"
    ) -> Stream:
        if export_format not in FORMATS:
            raise InvalidParameter("format", f"must be one of {', '.join(FORMATS)}")
        media_type, file_name = FORMATS[export_format]
        parts = (
            _document(exports, request.user) if export_format == "json" else exports.calendar(request.user)
        )
        chunks = _chunked(parts)
        # Opening the export, the part that can fail cleanly, happens here: a failure is a problem.
        first = await anext(chunks)
        return Stream(
            _resumed(first, chunks),
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
        )
