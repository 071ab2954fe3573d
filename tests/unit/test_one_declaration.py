"""A task's fields are declared once, in the domain: storage and HTTP derive from that declaration
(adapters/postgres/task_fields.py, entrypoints/http/schemas.py). These tests hold every derived
list to it, so a field added in one place and forgotten in another cannot pass."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

import msgspec

from taskhub.adapters.postgres.tables import tasks
from taskhub.adapters.postgres.task_columns import COLUMNS
from taskhub.adapters.postgres.task_fields import STORED_FIELDS
from taskhub.adapters.postgres.task_rows import task_from_json, task_to_json, to_task, values_of
from taskhub.domain.model import CONTENT_FIELD_NAMES, TASK_FIELDS, Priority, Task, TaskContent, TaskId, UserId
from taskhub.entrypoints.http.schemas import (
    WRITABLE,
    TaskCreate,
    TaskRead,
    TaskReplace,
    TaskUpdate,
    task_read,
)


def task_field_names() -> list[str]:
    """Task's fields in declaration order, its content spread into the content's fields."""
    names: list[str] = []
    for field in TASK_FIELDS:
        names += CONTENT_FIELD_NAMES if field.name == "content" else [field.name]
    return names


def sample() -> Task:
    content = TaskContent(
        title="Pay rent",
        description="by transfer",
        completed=True,
        priority=Priority.HIGH,
        due_at=datetime(2026, 12, 24, 17, tzinfo=UTC),
        time_zone="Europe/Paris",
        tags=("home", "money"),
    )
    return Task.create(TaskId(uuid.uuid4()), UserId("alice"), content, datetime(2026, 12, 1, tzinfo=UTC))


def test_storage_has_a_column_per_field_in_the_declarations_order() -> None:
    assert [f.name for f in STORED_FIELDS] == task_field_names()
    assert [c.name for c in COLUMNS] == task_field_names()
    assert set(task_field_names()) <= set(tasks.c.keys())


def test_a_row_of_the_stored_fields_is_the_task_it_was_made_from() -> None:
    task = sample()
    assert to_task(list(values_of(task).values())) == task
    assert task_from_json(task_to_json(task)) == task


def test_clients_write_exactly_the_contents_fields() -> None:
    assert list(WRITABLE) == list(CONTENT_FIELD_NAMES)
    for body in (TaskCreate, TaskReplace, TaskUpdate):
        assert [f.name for f in msgspec.structs.fields(body)] == list(CONTENT_FIELD_NAMES)


def test_a_task_is_shown_with_every_field_but_its_owner_and_its_rules_start() -> None:
    assert [f.name for f in msgspec.structs.fields(TaskRead)] == [
        n for n in task_field_names() if n not in ("owner_id", "recurrence_start")
    ]
    shown = msgspec.to_builtins(task_read(sample()))
    task = sample()
    stored = {
        f.name: getattr(task.content if f.name in CONTENT_FIELD_NAMES else task, f.name)
        for f in STORED_FIELDS
    }
    assert set(shown) == set(stored) - {"owner_id", "recurrence_start"}


def test_the_defaults_a_create_takes_are_the_contents() -> None:
    created = msgspec.json.decode(b'{"title": "t"}', type=TaskCreate)
    defaults = {
        f.name: f.default for f in dataclasses.fields(TaskContent) if f.default is not dataclasses.MISSING
    }
    assert {name: getattr(created, name) for name in defaults} == {
        name: list(value) if isinstance(value, tuple) else value for name, value in defaults.items()
    }
