"""Cross-origin requests from browsers (the Fetch standard's CORS protocol).

Allowed origins are CORS_ORIGINS and, in development only, any `http://localhost:<port>` or
`http://127.0.0.1:<port>`, so a front end on its dev server (Next.js on :3000, Vite on :5173)
works at once. `null` (sandboxed iframes, `file://` pages) is never allowed, whatever is listed.

taskhub answers preflights itself rather than through Litestar's CORS support, which refuses
an origin with a plain-text 400: here a refusal is a problem document like every other error,
and a preflight to /api carries the headers every /api response carries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Final

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from taskhub.entrypoints.http.problems import PROBLEM_MEDIA_TYPE, problem_type
from taskhub.entrypoints.http.request_context import request_id_in

ALLOWED_METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# What a browser app may send and read (docs/api.md, Limits).
ALLOWED_HEADERS: Final = (
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    "Last-Event-ID",
    "X-Request-ID",
)
EXPOSED_HEADERS: Final = (
    "ETag",
    "Location",
    "Link",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "Retry-After",
    "X-Request-ID",
    "Idempotent-Replayed",
)
PREFLIGHT_MAX_AGE_SECONDS: Final = 600
_LOCAL_DEVELOPMENT: Final = re.compile(r"http://(localhost|127\.0\.0\.1)(:\d{1,5})?")
# What every /api response and every problem carries.
_NO_STORE: Final = ((b"cache-control", b"no-store"), (b"x-content-type-options", b"nosniff"))


class OriginPolicy:
    def __init__(self, origins: Iterable[str], *, local_development: bool) -> None:
        self._origins = frozenset(origins)
        self._any = "*" in self._origins
        self._local_development = local_development

    @property
    def enabled(self) -> bool:
        return bool(self._origins) or self._local_development

    def allows(self, origin: str) -> bool:
        if origin == "null":
            return False
        return (
            self._any
            or origin in self._origins
            or (self._local_development and _LOCAL_DEVELOPMENT.fullmatch(origin) is not None)
        )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class CorsMiddleware:
    def __init__(self, app: ASGIApp, policy: OriginPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _header(scope, b"origin") if scope["type"] == ScopeType.HTTP else None
        if origin is None:
            await self.app(scope, receive, send)
            return
        allowed = self.policy.allows(origin)
        method = scope.get("method")
        if method == "OPTIONS" and _header(scope, b"access-control-request-method") is not None:
            await self._preflight(scope, send, origin, allowed)
            return
        await self.app(scope, receive, self._with_cors_headers(send, origin, allowed))

    @staticmethod
    def _with_cors_headers(send: Send, origin: str, allowed: bool) -> Send:
        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), (b"vary", b"Origin")]
                if allowed:
                    headers += [
                        (b"access-control-allow-origin", origin.encode("latin-1")),
                        (b"access-control-expose-headers", ", ".join(EXPOSED_HEADERS).encode()),
                    ]
                message["headers"] = headers
            await send(message)

        return send_with_cors

    @staticmethod
    async def _preflight(scope: Scope, send: Send, origin: str, allowed: bool) -> None:
        if allowed:
            headers = [
                (b"vary", b"Origin"),
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-allow-methods", ", ".join(ALLOWED_METHODS).encode()),
                (b"access-control-allow-headers", ", ".join(ALLOWED_HEADERS).encode()),
                (b"access-control-max-age", str(PREFLIGHT_MAX_AGE_SECONDS).encode()),
            ]
            if scope["path"].startswith("/api"):
                headers += _NO_STORE
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        # Refused: no Access-Control-Allow-* header, so the browser stops there; the body says why
        # to whoever looks at the network tab.
        body = json.dumps(
            {
                "type": problem_type("origin-not-allowed"),
                "title": "Origin not allowed",
                "status": 403,
                "detail": "This origin may not call the API from a browser (CORS_ORIGINS).",
                "instance": scope["path"][:200],
                "request_id": request_id_in(scope),
            }
        ).encode()
        headers = [
            (b"vary", b"Origin"),
            (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
            *_NO_STORE,
        ]
        await send({"type": "http.response.start", "status": 403, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})
