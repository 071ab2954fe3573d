"""One trace span per statement, when tracing is on (entrypoints/tracing.py turns it on).

A span is named after its statement (`tasks.get`, `COMMIT`: prepared.py) and is a child of the
span current when the statement runs, the request's. It says which statement ran, for how long,
how many rows it returned and, when it failed, the kind of failure (exception class, SQLSTATE).
Never the SQL's parameters, nor an error's message or traceback: asyncpg's messages can quote a
value ("invalid input for query argument $1: ...").

This module imports OpenTelemetry only when tracing is turned on: the production image does not
install it.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from opentelemetry.trace import Span, TracerProvider

    from taskhub.adapters.postgres.prepared import Prepared

DB_SYSTEM: Final = "postgresql"


class StatementSpans:
    def __init__(self, tracer_provider: TracerProvider) -> None:
        from opentelemetry.trace import SpanKind, StatusCode  # noqa: PLC0415 - optional dependency

        self._tracer = tracer_provider.get_tracer(__name__)
        self._client = SpanKind.CLIENT
        self._error = StatusCode.ERROR

    async def around(self, statement: Prepared, call: Awaitable[Any], fetch: str) -> Any:
        """Awaits `call`, the driver sending `statement` and reading its result by `fetch`."""
        with self._tracer.start_as_current_span(
            statement.name,
            kind=self._client,
            attributes={"db.system": DB_SYSTEM, "db.query.summary": statement.name},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                result = await call
            except BaseException as exc:
                self._failed(span, exc)
                raise
            if fetch == "fetch":
                span.set_attribute("db.response.returned_rows", len(result))
            elif fetch == "fetchrow":
                span.set_attribute("db.response.returned_rows", 0 if result is None else 1)
            return result

    def _failed(self, span: Span, exc: BaseException) -> None:
        span.set_status(self._error)
        span.set_attribute("error.type", type(exc).__qualname__)
        sqlstate = getattr(exc, "sqlstate", None)
        if isinstance(sqlstate, str):
            span.set_attribute("db.response.status_code", sqlstate)
