"""The one place where errors become HTTP responses (RFC 9457 problem details).

Domain and port errors, body errors, Litestar's own HTTP errors and unexpected exceptions all
end here, so every error a client sees has the same shape and none leaks internals.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from taskhub.domain.errors import (
    EditConflict,
    IdempotencyKeyReused,
    InvalidFields,
    InvalidList,
    InvalidParameter,
    InvalidTask,
    ListNotFound,
    PreconditionFailed,
    RequestInFlight,
    SyncTokenExpired,
    TaskhubError,
    TaskNotFound,
    TooManyExports,
    TooManyLists,
)
from taskhub.entrypoints.http.body import InvalidBody, MalformedJson, UnsupportedMediaType
from taskhub.entrypoints.http.idempotency import replay_headers
from taskhub.entrypoints.http.problems import FieldProblem, Problem, problem_response
from taskhub.entrypoints.http.rate_limit import RateLimited
from taskhub.entrypoints.http.request_context import request_id_of
from taskhub.entrypoints.http.validation import plain_message
from taskhub.ports.repositories import StorageUnavailable
from taskhub.ports.token_verifier import InvalidToken

_log = logging.getLogger("taskhub.http")

RETRY_AFTER_SECONDS: Final = "2"
# Request headers a route reads, as clients and the contract spell them.
HEADER_NAMES: Final = {
    name.lower(): name for name in ("If-Match", "If-None-Match", "Idempotency-Key", "Last-Event-ID")
}


@dataclass(frozen=True, slots=True)
class ProblemKind:
    status: int
    slug: str
    title: str


# Every TaskhubError subclass must resolve here (tests/unit/test_error_mapping.py checks it).
DOMAIN_PROBLEMS: Final[dict[type[TaskhubError], ProblemKind]] = {
    TaskNotFound: ProblemKind(404, "not-found", "Not found"),
    ListNotFound: ProblemKind(404, "not-found", "Not found"),
    InvalidFields: ProblemKind(422, "validation-failed", "The request breaks a rule"),
    InvalidTask: ProblemKind(422, "validation-failed", "The task breaks a rule"),
    InvalidList: ProblemKind(422, "validation-failed", "The list breaks a rule"),
    TooManyLists: ProblemKind(422, "too-many-lists", "Too many lists"),
    InvalidParameter: ProblemKind(400, "invalid-parameter", "Invalid request parameter"),
    EditConflict: ProblemKind(409, "conflict", "Conflicting request"),
    RequestInFlight: ProblemKind(409, "request-in-flight", "Request still in progress"),
    IdempotencyKeyReused: ProblemKind(422, "idempotency-key-reused", "Idempotency-Key reused"),
    PreconditionFailed: ProblemKind(412, "precondition-failed", "Precondition failed"),
    SyncTokenExpired: ProblemKind(410, "sync-token-expired", "Sync token expired"),
    TooManyExports: ProblemKind(429, "too-many-exports", "Too many exports downloading"),
    StorageUnavailable: ProblemKind(503, "unavailable", "Service unavailable"),
    InvalidToken: ProblemKind(401, "invalid-token", "Invalid bearer token"),
}

_HTTP_PROBLEMS: Final = {
    400: ProblemKind(400, "bad-request", "Bad request"),
    401: ProblemKind(401, "invalid-token", "Invalid bearer token"),
    404: ProblemKind(404, "not-found", "Not found"),
    405: ProblemKind(405, "method-not-allowed", "Method not allowed"),
    413: ProblemKind(413, "body-too-large", "Request body too large"),
    415: ProblemKind(415, "unsupported-media-type", "Unsupported media type"),
    429: ProblemKind(429, "rate-limited", "Too many requests"),
    503: ProblemKind(503, "unavailable", "Service unavailable"),
}
# An export takes seconds; a client told to wait this long finds a slot most of the time.
EXPORT_RETRY_AFTER_SECONDS: Final = "10"
_INTERNAL: Final = ProblemKind(500, "internal-error", "Internal server error")
_MISSING_BODY: Final = ProblemKind(400, "malformed-json", "Malformed JSON")


def kind_of(error: TaskhubError) -> ProblemKind:
    return next(DOMAIN_PROBLEMS[cls] for cls in type(error).__mro__ if cls in DOMAIN_PROBLEMS)


def _respond(
    request: Request[Any, Any, Any],
    kind: ProblemKind,
    detail: str,
    *,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    return problem_response(
        slug=kind.slug,
        title=kind.title,
        status=kind.status,
        detail=detail,
        instance=request.url.path,
        request_id=request_id_of(request),
        errors=errors,
        headers=headers,
    )


def _client_address(request: Request[Any, Any, Any]) -> str | None:
    return request.client.host if request.client else None


def handle_domain_error(request: Request[Any, Any, Any], exc: TaskhubError) -> Response[Problem]:
    kind = kind_of(exc)
    headers: dict[str, str] = {}
    errors = None
    if isinstance(exc, InvalidFields):
        errors = [FieldProblem(field=e.field, message=e.message) for e in exc.errors]
    elif isinstance(exc, StorageUnavailable):
        headers["Retry-After"] = RETRY_AFTER_SECONDS
        _log.warning("storage unavailable", extra={"request_id": request_id_of(request)}, exc_info=exc)
    elif isinstance(exc, InvalidToken):
        headers["WWW-Authenticate"] = (
            f'Bearer error="invalid_token", error_description="{exc.reason.value.replace("_", " ")}"'
        )
        _log.warning(
            "authentication failed",
            extra={
                "reason": exc.reason.value,
                "request_id": request_id_of(request),
                "client": _client_address(request),
            },
        )
    elif isinstance(exc, PreconditionFailed):
        headers["ETag"] = f'"{exc.current_version}"'
    elif isinstance(exc, RequestInFlight):
        headers["Retry-After"] = "1"
    elif isinstance(exc, TooManyExports):
        headers["Retry-After"] = EXPORT_RETRY_AFTER_SECONDS
    elif isinstance(exc, InvalidParameter):
        errors = [FieldProblem(field=exc.parameter, message=exc.message)]
    headers |= replay_headers(exc.replayed)
    return _respond(request, kind, str(exc), errors=errors, headers=headers)


def handle_invalid_body(request: Request[Any, Any, Any], exc: InvalidBody) -> Response[Problem]:
    kind = ProblemKind(422, "validation-failed", "The request body breaks the schema")
    if not exc.problems:
        return _respond(request, kind, "The request body must be a JSON object.")
    errors = [FieldProblem(field=p.field, message=p.message) for p in exc.problems]
    return _respond(request, kind, "The request body does not match the schema.", errors=errors)


def handle_malformed_json(request: Request[Any, Any, Any], exc: MalformedJson) -> Response[Problem]:
    kind = ProblemKind(400, "malformed-json", "Malformed JSON")
    return _respond(request, kind, "The request body is not well-formed UTF-8 JSON.")


def handle_unsupported_media_type(
    request: Request[Any, Any, Any], exc: UnsupportedMediaType
) -> Response[Problem]:
    return _respond(request, _HTTP_PROBLEMS[415], "Send the body as application/json.")


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    kind = _HTTP_PROBLEMS.get(exc.status_code)
    if kind is None:
        return handle_unexpected(request, exc)
    errors = None
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        # Query, path and header parameters that do not parse: name each one. (Bodies never get
        # here: StrictJsonRequest raises its own errors.)
        errors = [
            FieldProblem(field=_parameter_name(e), message=plain_message(str(e.get("message", "is invalid"))))
            for e in exc.extra
            if isinstance(e, dict) and "key" in e
        ]
        if [e.field for e in errors] == ["data"]:
            # Litestar's way of saying the JSON body is missing altogether.
            return _respond(request, _MISSING_BODY, "This request needs a JSON body.")
        if errors:
            kind = DOMAIN_PROBLEMS[InvalidParameter]
            return _respond(request, kind, "A request parameter is invalid.", errors=errors)
    detail = exc.detail if exc.status_code != 401 else "Authentication is required."
    headers = dict(exc.headers or {})
    return _respond(request, kind, detail, errors=errors or None, headers=headers)


def _parameter_name(error: dict[str, Any]) -> str:
    """A query parameter as sent; a header by its usual spelling (Litestar names it after the
    handler's argument, `if_match`)."""
    key = str(error["key"])
    return HEADER_NAMES.get(key.lower().replace("_", "-"), key)


def handle_rate_limited(request: Request[Any, Any, Any], exc: RateLimited) -> Response[Problem]:
    retry_after = str(max(exc.decision.reset_seconds, 1))
    return _respond(
        request,
        _HTTP_PROBLEMS[429],
        f"Too many requests; retry in {retry_after} seconds.",
        headers={"Retry-After": retry_after},
    )


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    # The only place a traceback goes: the log, keyed by request id. The client gets no internals.
    _log.error("unhandled error", extra={"request_id": request_id_of(request)}, exc_info=exc)
    return _respond(request, _INTERNAL, "An unexpected error occurred; it has been logged.")


EXCEPTION_HANDLERS: Final[ExceptionHandlersMap] = {
    TaskhubError: handle_domain_error,
    InvalidBody: handle_invalid_body,
    MalformedJson: handle_malformed_json,
    UnsupportedMediaType: handle_unsupported_media_type,
    HTTPException: handle_http_exception,
    RateLimited: handle_rate_limited,
    Exception: handle_unexpected,
}
