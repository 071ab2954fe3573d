"""RFC 9457 problem details: the one shape every error response takes."""

from __future__ import annotations

import uuid
from typing import Final

import msgspec
from litestar import Response
from litestar.openapi.datastructures import ResponseSpec

from taskhub.entrypoints.http.openapi import example

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
_TYPE_PREFIX: Final = "urn:taskhub:problem:"

# Headers every error carries: it must never be cached, nor sniffed into something else.
_BASE_HEADERS: Final = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class FieldProblem(msgspec.Struct, kw_only=True):
    """What the client sent that is wrong, named as the client named it: a body field (`title`,
    `tags[2]`), a query parameter (`limit`) or a header (`If-Match`)."""

    field: str
    message: str


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str
    instance: str
    request_id: str
    errors: list[FieldProblem] | None = None


def problem_type(slug: str) -> str:
    return _TYPE_PREFIX + slug


def problem_response(
    *,
    slug: str,
    title: str,
    status: int,
    detail: str,
    instance: str,
    request_id: str | None,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    body = Problem(
        type=problem_type(slug),
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        # Set by the outermost middleware for every request; a fresh one should it ever be missing.
        request_id=request_id or uuid.uuid4().hex,
        errors=errors,
    )
    return Response(
        body,
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers={**_BASE_HEADERS, **(headers or {})},
    )


_EXAMPLE_SLUGS: Final = {
    400: "invalid-parameter",
    401: "invalid-token",
    404: "not-found",
    409: "conflict",
    410: "sync-token-expired",
    412: "precondition-failed",
    413: "body-too-large",
    415: "unsupported-media-type",
    422: "validation-failed",
    429: "rate-limited",
    500: "internal-error",
    503: "unavailable",
}

_DESCRIPTIONS: Final = {
    400: "Malformed JSON, or a bad query or path parameter.",
    401: "Missing, malformed, expired or otherwise invalid bearer token.",
    404: "No such task for this user (or no such route).",
    409: "The request conflicts with another one in flight; retry.",
    410: "The sync token is older than the deletion history (30 days by default): sync from scratch.",
    412: "If-Match does not match the task's current version; the ETag header has the current one.",
    413: "The request body is over the size limit.",
    415: "The request body is not JSON.",
    422: "Well-formed JSON that breaks the schema or a task rule.",
    429: "Too many requests; retry after `Retry-After` seconds (`RateLimit-*` tell the budget).",
    500: "A bug in taskhub; logged with the request id.",
    503: "The database is unavailable; retry after `Retry-After` seconds.",
}
# Every /api route can answer these, whatever it does.
_ALWAYS: Final = (401, 429, 500, 503)


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problems an /api route can answer with (each with an example),
    the ones every /api route can give included."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=_DESCRIPTIONS[status],
            media_type=PROBLEM_MEDIA_TYPE,
            generate_examples=False,
            examples=example(_DESCRIPTIONS[status], _example(status)),
        )
        for status in sorted({*statuses, *_ALWAYS})
    }


def _example(status: int) -> dict[str, object]:
    return {
        "type": problem_type(_EXAMPLE_SLUGS[status]),
        "title": _DESCRIPTIONS[status],
        "status": status,
        "detail": _DESCRIPTIONS[status],
        "instance": "/api/tasks",
        "request_id": "6f1c0c6a2e0b4f6e9a3b1d2c3e4f5a6b",
    }
