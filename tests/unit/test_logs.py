"""The JSON log lines: one object per record, the request id, the extra fields, never a secret."""

from __future__ import annotations

import json
import logging
import sys
import uuid
from collections.abc import Callable

import asyncpg
import pytest

from taskhub.domain.errors import TaskNotFound
from taskhub.entrypoints.logs import REQUEST_ID, JsonLineFormatter, format_exception
from taskhub.ports.repositories import StorageUnavailable


def render(message: str, *, exc_info: bool = False, **extra: object) -> dict[str, object]:
    record = logging.getLogger("taskhub.test").makeRecord(
        "taskhub.test",
        logging.INFO,
        __file__,
        1,
        message,
        (),
        sys.exc_info() if exc_info else None,
        extra=extra,
    )
    line = JsonLineFormatter().format(record)
    assert "\n" not in line
    decoded: dict[str, object] = json.loads(line)
    return decoded


def test_a_line_has_timestamp_level_logger_event_and_the_extra_fields() -> None:
    line = render("request", status=200, duration_ms=1.5, route="/api/tasks")
    assert line["level"] == "info"
    assert line["logger"] == "taskhub.test"
    assert line["event"] == "request"
    assert (line["status"], line["duration_ms"], line["route"]) == (200, 1.5, "/api/tasks")
    assert isinstance(line["timestamp"], str)
    assert line["timestamp"].endswith("Z")
    assert "request_id" not in line
    assert "msg" not in line
    assert "args" not in line


def test_the_request_id_of_the_current_request_is_on_every_line() -> None:
    token = REQUEST_ID.set("req-123")
    try:
        assert render("anything")["request_id"] == "req-123"
    finally:
        REQUEST_ID.reset(token)


@pytest.mark.parametrize("field", ["token", "authorization", "password", "secret", "title", "description"])
def test_fields_that_must_never_be_logged_are_redacted(field: str) -> None:
    assert render("oops", **{field: "do-not-print"})[field] == "[redacted]"


def test_values_json_cannot_hold_are_written_as_text() -> None:
    class Opaque:
        def __str__(self) -> str:
            return "opaque"

    assert render("x", thing=Opaque())["thing"] == "opaque"


def test_an_exception_is_one_field_of_the_same_line() -> None:
    try:
        raise ValueError("broken")
    except ValueError:
        line = render("failed", exc_info=True)
    exception = str(line["exception"])
    assert exception.startswith("Traceback (most recent call last):")
    assert exception.endswith("\nValueError")
    assert "test_an_exception_is_one_field_of_the_same_line" in exception


def failing(secret: str) -> None:
    token = "eyJ" + secret  # a local a frame holds: never printed
    raise RuntimeError(f"could not verify {token} with {secret}")


def formatted(action: Callable[[], None]) -> str:
    try:
        action()
    except BaseException:
        return format_exception(sys.exc_info())  # type: ignore[arg-type]
    raise AssertionError("the action raised nothing")


# Made at run time: a traceback shows source lines, and these must not be in any of them.
HIDDEN = "hidden-" + uuid.uuid4().hex


def test_a_traceback_shows_frames_and_classes_but_no_local_values() -> None:
    text = formatted(lambda: failing(HIDDEN))
    assert HIDDEN not in text
    assert 'File "' in text
    assert "in failing" in text
    assert text.endswith("\nRuntimeError")


def test_a_database_error_is_logged_by_its_class_and_sqlstate_never_its_message() -> None:
    error = asyncpg.CheckViolationError(
        f'new row for relation "tasks" violates check constraint\nDETAIL: Failing row contains ({HIDDEN}).'
    )
    error.sqlstate, error.constraint_name, error.table_name = "23514", "ck_tasks_title", "tasks"  # type: ignore[misc]

    def fail() -> None:
        raise error

    text = formatted(fail)
    assert HIDDEN not in text
    assert "Failing row" not in text
    assert text.endswith(
        "asyncpg.exceptions.CheckViolationError "
        "(sqlstate=23514, table_name=tasks, constraint_name=ck_tasks_title)"
    )


def test_taskhub_s_own_messages_are_kept() -> None:
    def fail() -> None:
        raise TaskNotFound()

    assert formatted(fail).endswith("taskhub.domain.errors.TaskNotFound: No task with this id exists.")


def test_a_chain_of_exceptions_is_printed_first_cause_first_with_what_linked_them() -> None:
    def fail() -> None:
        try:
            failing(HIDDEN)
        except RuntimeError as exc:
            raise StorageUnavailable("The database is unavailable.") from exc

    text = formatted(fail)
    first, link, last = text.partition("The above exception was the direct cause of the following exception:")
    assert link
    assert first.rstrip().endswith("RuntimeError")
    assert last.rstrip().endswith("StorageUnavailable: The database is unavailable.")
    assert HIDDEN not in text


def test_a_connection_error_keeps_its_errno_name_not_its_text() -> None:
    def fail() -> None:
        raise ConnectionRefusedError(111, f"refused by db.internal:5432 as user {HIDDEN}")

    text = formatted(fail)
    assert text.endswith("ConnectionRefusedError (errno=ECONNREFUSED)")
    assert HIDDEN not in text


def test_uvicorns_coloured_copy_of_a_message_is_not_a_field() -> None:
    assert "color_message" not in render("Started", color_message="\x1b[36mStarted\x1b[0m")
