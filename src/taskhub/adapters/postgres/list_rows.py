"""Rows of the lists table to lists and back, and a list as JSON (an idempotency record keeps the
list a create answered with)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Final
from uuid import UUID

import msgspec

from taskhub.adapters.postgres.tables import lists
from taskhub.domain.lists import TaskList
from taskhub.domain.model import ListId, UserId

FIELD_NAMES: Final = tuple(f.name for f in dataclasses.fields(TaskList))
# A list's columns, in the order `to_list` reads a row.
LIST_COLUMNS: Final = tuple(lists.c[name] for name in FIELD_NAMES)


def to_list(row: Any) -> TaskList:
    # Restored as stored, without running the name's rule again (as task_rows.py does).
    return TaskList(
        id=ListId(row["id"]),
        owner_id=UserId(row["owner_id"]),
        name=row["name"],
        position=row["position"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
    )


def values_of(task_list: TaskList) -> dict[str, Any]:
    return {name: getattr(task_list, name) for name in FIELD_NAMES}


_JSON: Final = msgspec.json.Encoder()


def list_to_json(task_list: TaskList) -> str:
    return _JSON.encode(values_of(task_list)).decode()


def list_from_json(text: str | bytes) -> TaskList:
    data = msgspec.json.decode(text)
    return to_list(
        data
        | {
            "id": UUID(data["id"]),
            "created_at": datetime.fromisoformat(data["created_at"]),
            "updated_at": datetime.fromisoformat(data["updated_at"]),
        }
    )
