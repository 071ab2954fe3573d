"""The ceiling: the least a service can do for "get one task" with the same stack.

A bare Litestar app that verifies the same JWT with python-jose, answers one primary-key SELECT
through a raw asyncpg pool, and encodes the row with msgspec. No layers, no logging, no metrics:
what taskhub's get-one is compared with (bench/README.md).
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import asyncpg
import msgspec
from jose import jwt
from litestar import Litestar, Request, Response, get
from litestar.datastructures import State

SECRET = os.environ["BETTER_AUTH_SECRET"]
DSN = os.environ["CEILING_DSN"]
QUERY = (
    "SELECT id, title, description, completed, completed_at, priority, due_at, time_zone, tags, "
    "created_at, updated_at, version FROM tasks WHERE id = $1 AND owner_id = $2 AND deleted_at IS NULL"
)


class Task(msgspec.Struct):
    id: uuid.UUID
    title: str
    description: str
    completed: bool
    completed_at: Any
    priority: int
    due_at: Any
    time_zone: str | None
    tags: list[str]
    created_at: Any
    updated_at: Any
    version: int


async def connect(app: Litestar) -> None:
    app.state.pool = await asyncpg.create_pool(DSN, min_size=10, max_size=10)


async def disconnect(app: Litestar) -> None:
    await app.state.pool.close()


@get("/api/tasks/{task_id:uuid}")
async def get_task(task_id: uuid.UUID, request: Request[Any, Any, Any], state: State) -> Response[bytes]:
    token = request.headers.get("authorization", "").removeprefix("Bearer ")
    try:
        claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    except Exception:  # the ceiling answers 401 and nothing more
        return Response(b"", status_code=401)
    row = await state.pool.fetchrow(QUERY, task_id, claims["sub"])
    if row is None:
        return Response(b"", status_code=404)
    return Response(msgspec.json.encode(Task(**dict(row))), media_type="application/json")


app = Litestar([get_task], on_startup=[connect], on_shutdown=[disconnect], openapi_config=None)
