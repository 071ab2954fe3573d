"""Examples for the OpenAPI document: one request and one response per route."""

from __future__ import annotations

from typing import Any, Final

from litestar.openapi.datastructures import ResponseSpec

from taskhub.entrypoints.http.openapi import example
from taskhub.entrypoints.http.schemas import ChangeFeed, TaskRead, TasksPage

TASK_ID: Final = "0193c8e0-5b7a-7c3e-9f2d-6a1b2c3d4e5f"

TASK: Final[dict[str, Any]] = {
    "id": TASK_ID,
    "title": "Buy milk",
    "description": "Oat, not dairy.",
    "completed": False,
    "completed_at": None,
    "priority": "medium",
    "due_at": "2026-12-24T17:00:00Z",
    "time_zone": "Europe/Paris",
    "tags": ["home", "shopping"],
    "list_id": None,
    "parent_id": None,
    "recurrence": None,
    "created_at": "2026-12-01T09:30:00Z",
    "updated_at": "2026-12-01T09:30:00Z",
    "version": 1,
    "position": "a0",
    "last_completed_at": None,
}


CREATE_REQUEST: Final = example(
    "A task due on Christmas Eve, shown in Paris time",
    {
        "title": "Buy milk",
        "description": "Oat, not dairy.",
        "priority": "medium",
        "due_at": "2026-12-24T18:00:00+01:00",
        "time_zone": "Europe/Paris",
        "tags": ["home", "shopping"],
    },
)
REPLACE_REQUEST: Final = example(
    "Every writable field; absent ones reset to their defaults",
    {"title": "Buy oat milk", "priority": "high", "tags": ["home"]},
)
PATCH_REQUEST: Final = example(
    "Raise the priority and clear the due date", {"priority": "high", "due_at": None}
)


def task_response(description: str, status: int = 200, **changes: Any) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(
            data_container=TaskRead,
            description=description,
            examples=example(description, {**TASK, **changes}),
        )
    }


def list_response() -> dict[int, ResponseSpec]:
    page = {"items": [TASK], "next_cursor": "eyJ2IjoxLCJjIjoiMjAyNi0xMi0wMVQwOTozMDowMCswMDowMCJ9"}
    return {
        200: ResponseSpec(
            data_container=TasksPage, description="A page of tasks", examples=example("A page", page)
        )
    }


def changes_response() -> dict[int, ResponseSpec]:
    feed = {
        "changes": [
            {"id": TASK_ID, "deleted": False, "task": TASK},
            {"id": "0193c8e0-0000-7000-8000-000000000002", "deleted": True},
        ],
        "next_since": "eyJ2IjoxLCJzIjo0Mn0",
        "has_more": False,
    }
    return {
        200: ResponseSpec(
            data_container=ChangeFeed,
            description="Changes in commit order",
            examples=example("Two changes", feed),
        )
    }
