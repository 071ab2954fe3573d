"""Logging: structured lines on stdout, JSON in production, readable in development.

Every line of a request carries its `request_id` (set by the request middleware in `REQUEST_ID`).
Fields that must never be logged are redacted, whoever tries to log them.

The JSON lines are rendered by `JsonLineFormatter` with msgspec rather than by structlog's
processor chain and the standard `json` module: the access log runs on every request, and the
chain cost about 45 µs a line, a tenth of a get-one request (bench/README.md).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Final

import msgspec
import structlog

REQUEST_ID: ContextVar[str | None] = ContextVar("taskhub.request_id", default=None)

_NEVER_LOGGED: Final = frozenset(
    {"token", "authorization", "password", "secret", "title", "description", "body", "claims"}
)
# What every LogRecord has; anything else on a record came from `extra=` and is a field.
_RECORD_ATTRIBUTES: Final = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}
_encoder: Final = msgspec.json.Encoder(enc_hook=str)


def _redact(event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in event.keys() & _NEVER_LOGGED:
        event[key] = "[redacted]"
    return event


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record: timestamp, level, logger, event, request_id, the `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        if (request_id := REQUEST_ID.get()) is not None:
            line["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return _encoder.encode(_redact(line)).decode()


def _add_request_id(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    if (request_id := REQUEST_ID.get()) is not None:
        event.setdefault("request_id", request_id)
    return event


def _console_formatter() -> logging.Formatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            _add_request_id,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.ExtraAdder(),
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            lambda _, __, event: _redact(event),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.dev.ConsoleRenderer(colors=False),
        ],
    )


def configure_logging(level: str, log_format: str = "console") -> None:
    # Records never show the thread, process or asyncio task: skip looking them up for each one.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLineFormatter() if log_format == "json" else _console_formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn logs through the root handler; its own access log is replaced by ours.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    # The embedded database narrates every step at INFO; its warnings still come through.
    logging.getLogger("pgserver").setLevel(max(logging.WARNING, root.level))
