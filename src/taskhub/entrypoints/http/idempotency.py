"""`Idempotency-Key` on POST: validation, request fingerprint, and the replies that get stored."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any, Final

import msgspec
from litestar import Request, Response

from taskhub.application.tasks import IdempotentOutcome, IdempotentRequest
from taskhub.domain.errors import InvalidParameter
from taskhub.domain.model import IDEMPOTENCY_KEY_MAX_LENGTH, Task
from taskhub.entrypoints.http.preconditions import etag
from taskhub.entrypoints.http.schemas import TaskRead
from taskhub.ports.idempotency import StoredReply

HEADER: Final = "Idempotency-Key"
REPLAYED_HEADER: Final = "Idempotent-Replayed"
_PRINTABLE_ASCII = re.compile(rf"[\x20-\x7e]{{1,{IDEMPOTENCY_KEY_MAX_LENGTH}}}")
_JSON: Final = "application/json"


def validated_key(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not _PRINTABLE_ASCII.fullmatch(raw):
        raise InvalidParameter(
            HEADER, f"must be 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters"
        )
    return raw


async def fingerprint(request: Request[Any, Any, Any]) -> str:
    """What makes two requests "the same": method, path and the exact body bytes."""
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.url.path.encode(), await request.body()):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def task_reply_renderer(status: int, *, with_location: bool = False) -> Callable[[Task], StoredReply]:
    def render(task: Task) -> StoredReply:
        headers = {"ETag": etag(task)}
        if with_location:
            headers["Location"] = f"/api/tasks/{task.id}"
        return StoredReply(
            status=status, body=msgspec.json.encode(TaskRead.from_domain(task)), headers=headers
        )

    return render


async def idempotent_request(
    request: Request[Any, Any, Any], key: str, render: Callable[[Task], StoredReply]
) -> IdempotentRequest:
    return IdempotentRequest(key=key, fingerprint=await fingerprint(request), render=render)


def outcome_response(outcome: IdempotentOutcome) -> Response[bytes]:
    """The stored reply, byte for byte, whether it was just made or is being replayed."""
    headers = dict(outcome.reply.headers)
    if outcome.replayed:
        headers[REPLAYED_HEADER] = "true"
    return Response(
        content=outcome.reply.body, status_code=outcome.reply.status, headers=headers, media_type=_JSON
    )
