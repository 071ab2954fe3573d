"""Request ids: taken from `X-Request-ID` when sane, generated otherwise, echoed on every response."""

from __future__ import annotations

import re
import uuid
from typing import Any, Final, cast

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

HEADER: Final = "x-request-id"
_SCOPE_KEY: Final = "taskhub.request_id"
# Anything else (CR/LF, quotes, 2 KiB of junk) is replaced so it can never inject into logs or headers.
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def request_id_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    value = cast("dict[str, Any]", connection.scope).get(_SCOPE_KEY)
    return value if isinstance(value, str) else None


def _incoming(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _SANE.fullmatch(text) else None
    return None


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        request_id = _incoming(scope) or uuid.uuid4().hex
        cast("dict[str, Any]", scope)[_SCOPE_KEY] = request_id
        header = (HEADER.encode(), request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        await self.app(scope, receive, send_with_id)
