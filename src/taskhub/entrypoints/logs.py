"""Logging: structured lines on stdout, JSON in production, readable in development.

Every line of a request carries its `request_id` (set by the request middleware in `REQUEST_ID`).
Fields that must never be logged are redacted, whoever tries to log them.

Tracebacks are written by `format_exception`, in both formats: frames and source lines, never
local values (a frame verifying a token holds the secret and the token), and no exception message
that taskhub did not write itself: a driver's message can quote a row (`DETAIL: Failing row
contains (...)`) or a parameter (`invalid input for query argument $2: '...'`), so bugs included,
no log line holds a task's content, a token or a secret.

The JSON lines are rendered by `JsonLineFormatter` with msgspec rather than by structlog's
processor chain and the standard `json` module: the access log runs on every request, and the
chain cost about 45 µs a line, a tenth of a get-one request (bench/README.md).
"""

from __future__ import annotations

import errno
import logging
import sys
import threading
import traceback
from collections.abc import Mapping, MutableMapping
from contextvars import ContextVar
from datetime import UTC, datetime
from types import TracebackType
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
    # uvicorn's own copy of a message with terminal colour codes in it.
    "color_message",
}
_encoder: Final = msgspec.json.Encoder(enc_hook=str)


# Schema names an error from PostgreSQL may carry (asyncpg sets them as attributes): they say
# where it happened, never what was in the row.
_DATABASE_DETAILS: Final = ("sqlstate", "schema_name", "table_name", "column_name", "constraint_name")
_OWN_MODULE: Final = "taskhub."
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def _describe(exc: BaseException) -> str:
    """An exception's class, and its message only when taskhub wrote it."""
    kind = type(exc)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    if kind.__module__.startswith(_OWN_MODULE):
        return f"{name}: {exc}"
    details = [f"{key}={value}" for key in _DATABASE_DETAILS if (value := getattr(exc, key, None))]
    if isinstance(exc, OSError) and exc.errno is not None and exc.errno in errno.errorcode:
        details.append(f"errno={errno.errorcode[exc.errno]}")
    return f"{name} ({', '.join(details)})" if details else name


_CAUSE: Final = "The above exception was the direct cause of the following exception:"
_CONTEXT: Final = "During handling of the above exception, another exception occurred:"


def format_exception(exc_info: ExcInfo) -> str:
    """A traceback that is safe to log (see the module's docstring), causes and contexts included,
    in the order Python prints them: the first cause first."""
    # Each exception, and how the one it came from led to it (None for the first cause).
    chain: list[tuple[BaseException, str | None]] = []
    seen: set[int] = set()
    exc: BaseException | None = exc_info[1]
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if exc.__cause__ is not None:
            chain.append((exc, _CAUSE))
            exc = exc.__cause__
        elif exc.__context__ is not None and not exc.__suppress_context__:
            chain.append((exc, _CONTEXT))
            exc = exc.__context__
        else:
            chain.append((exc, None))
            exc = None
    lines: list[str] = []
    for exc, how in reversed(chain):
        if how is not None:
            lines += ["", how, ""]
        if exc.__traceback__ is not None:
            lines.append("Traceback (most recent call last):")
            frames = traceback.StackSummary.extract(
                traceback.walk_tb(exc.__traceback__), capture_locals=False
            )
            lines += (frame.rstrip("\n") for frame in frames.format())
        lines.append(_describe(exc))
    return "\n".join(lines)


def _redact(event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in event.keys() & _NEVER_LOGGED:
        event[key] = "[redacted]"
    return event


def json_line(level: str, logger: str, event: str, **fields: Any) -> str:
    """One log line as JSON, for what is said before logging is configured (a bad setting)."""
    line = {
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "level": level,
        "logger": logger,
        "event": event,
        **fields,
    }
    return _encoder.encode(_redact(line)).decode()


def wants_json(env: Mapping[str, str]) -> bool:
    """Whether output must be JSON lines: LOG_FORMAT says so, or production (its default)."""
    chosen = env.get("LOG_FORMAT", "").strip().lower()
    if chosen in {"json", "console"}:
        return chosen == "json"
    return env.get("TASKHUB_ENV", "").strip().lower() == "production"


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
        if record.exc_info and record.exc_info[1] is not None:
            line["exception"] = format_exception(record.exc_info)
        return _encoder.encode(_redact(line)).decode()


def _without_colour_copy(event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    event.pop("color_message", None)
    return event


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
            lambda _, __, event: _without_colour_copy(event),
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            lambda _, __, event: _redact(event),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # structlog's default shows each frame's local values (through rich, when installed).
            structlog.dev.ConsoleRenderer(colors=False, exception_formatter=_write_exception),
        ],
    )


def _write_exception(sio: Any, exc_info: ExcInfo) -> None:
    sio.write("\n" + format_exception(exc_info))


def _log_uncaught(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    logging.getLogger("taskhub").critical("uncaught exception", exc_info=(kind, exc, tb))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        _log_uncaught(args.exc_type, args.exc_value, args.exc_traceback)


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
    # Nothing reaches stdout or stderr but through the handler above (in production, one JSON
    # object per line): Python's warnings and exceptions no code caught are log records too.
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
