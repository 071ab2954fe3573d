"""The JSON log lines: one object per record, the request id, the extra fields, never a secret."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from taskhub.entrypoints.logs import REQUEST_ID, JsonLineFormatter


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
    assert "ValueError: broken" in str(line["exception"])
