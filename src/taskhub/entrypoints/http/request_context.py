"""The outermost middleware: what every request gets, matched route or not.

- a request id: `X-Request-ID` when sane, generated otherwise; in the response, in every log
  line of the request (`logs.REQUEST_ID`) and in every problem body;
- the `RateLimit-*` headers decided by the authentication middleware;
- one access log line and the request metrics.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any, Final, cast

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPResponseStartEvent, Message, Receive, Scope, Send

from taskhub.application.operation_log import user_hash
from taskhub.entrypoints.http.metrics import LATENCY, REQUESTS
from taskhub.entrypoints.http.problems import PROBLEM_MEDIA_TYPE, problem_type
from taskhub.entrypoints.http.rate_limit import SCOPE_KEY as RATE_LIMIT_KEY
from taskhub.entrypoints.http.rate_limit import Decision
from taskhub.entrypoints.logs import REQUEST_ID

HEADER: Final = "x-request-id"
_SCOPE_KEY: Final = "taskhub.request_id"
# Anything else (CR/LF, quotes, 2 KiB of junk) is replaced so it can never inject into logs or headers.
_SANE = re.compile(r"[A-Za-z0-9._-]{1,128}")
_QUIET_ROUTES: Final = frozenset({"/health/live", "/health/ready", "/metrics"})
# All request headers together (a token is at most 8 KiB); nginx's default buffers are smaller.
MAX_HEADER_BYTES: Final = 32 * 1024

_access = logging.getLogger("taskhub.access")
# Route templates and statuses are few (unmatched paths all count as "unmatched"): bounded.
_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def request_id_in(scope: Scope) -> str | None:
    value = cast("dict[str, Any]", scope).get(_SCOPE_KEY)
    return value if isinstance(value, str) else None


def request_id_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    return request_id_in(connection.scope)


def _incoming(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _SANE.fullmatch(text) else None
    return None


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        state = cast("dict[str, Any]", scope)
        request_id = _incoming(scope) or uuid.uuid4().hex
        if sum(len(name) + len(value) for name, value in scope.get("headers", ())) > MAX_HEADER_BYTES:
            # The HTTP parser takes headers of any size; refuse what no client of ours sends.
            await _too_large(send, request_id, scope["path"])
            return
        state[_SCOPE_KEY] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_context(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [*message.get("headers", ()), (HEADER.encode(), request_id.encode())]
                decision: Decision | None = state.get(RATE_LIMIT_KEY)
                if decision is not None:
                    headers += decision.header_pairs()
                message["headers"] = headers
            await send(message)

        bound = REQUEST_ID.set(request_id)
        try:
            await self.app(scope, receive, send_with_context)
        finally:
            self._record(state, status, time.perf_counter() - started)
            REQUEST_ID.reset(bound)

    @staticmethod
    def _record(state: dict[str, Any], status: int, elapsed: float) -> None:
        route = state.get("path_template") or "unmatched"
        method = state["method"]
        key = (method, route, status)
        series = _SERIES.get(key)
        if series is None:
            # labels() takes a lock and hashes the label values: done once per series, not per request.
            series = _SERIES[key] = (
                REQUESTS.labels(method, route, str(status)),
                LATENCY.labels(method, route),
            )
        series[0].inc()
        series[1].observe(elapsed)
        level = logging.DEBUG if route in _QUIET_ROUTES else logging.INFO
        client = state.get("client")
        _access.log(
            level,
            "request",
            extra={
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "user": user_hash(user) if isinstance(user := state.get("user"), str) else None,
                "client": client[0] if client else None,
            },
        )


async def _too_large(send: Send, request_id: str, path: str) -> None:
    body = json.dumps(
        {
            "type": problem_type("headers-too-large"),
            "title": "Request headers too large",
            "status": 431,
            "detail": f"The request headers exceed {MAX_HEADER_BYTES} bytes.",
            "instance": path[:200],
            "request_id": request_id,
        }
    ).encode()
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 431,
        "headers": [
            (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            (b"x-content-type-options", b"nosniff"),
            (HEADER.encode(), request_id.encode()),
        ],
    }
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})
