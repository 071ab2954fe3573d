"""Optional OpenTelemetry tracing: on when OTEL_EXPORTER_OTLP_ENDPOINT is set, or when the app is
given a tracer provider (`create_app(..., tracer_provider=...)`, as the tests do).

Needs the `otel` extra (`pip install 'taskhub[otel]'`); app.py imports this module only when
tracing is on. The exporter, sampler and resource read the standard OTEL_* environment variables.

- One span per request, by Litestar's OpenTelemetry plugin, named by its route template
  (`GET /api/tasks/{task_id}`) and never by its path: paths hold task ids, query strings hold
  search words (task content). The path and URL attributes the ASGI instrumentation takes from the
  request are replaced by the template, and a query string by `[REDACTED]`; a request that matches
  no route is named by its method alone. No header is recorded unless the standard
  OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_* variables ask, and credentials are redacted even then.
- One span per database statement, a child of its request's (adapters/postgres/tracing.py).

The health probes and /metrics are not traced: probes every few seconds would bury the requests.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

try:
    from litestar.exceptions import HTTPException
    from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
    from litestar.types import Scope
    from litestar.utils import normalize_path
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.trace import TracerProvider as AnyTracerProvider
    from opentelemetry.util.http import (
        OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS,
        get_custom_headers,
        sanitize_method,
    )
except ImportError as exc:  # the production image has no otel extra
    raise RuntimeError(
        "OTEL_EXPORTER_OTLP_ENDPOINT is set but tracing is not installed: pip install 'taskhub[otel]'"
    ) from exc

from taskhub.adapters.postgres.driver_pool import DriverPool
from taskhub.adapters.postgres.tracing import StatementSpans

REDACTED: Final = "[REDACTED]"
UNTRACED_PATHS: Final = ["^/health/", "^/metrics$"]
# Redacted whatever OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST/RESPONSE capture.
CREDENTIAL_HEADERS: Final = ("authorization", "proxy-authorization", "cookie", "set-cookie")
# Every attribute of the ASGI instrumentation (old and new HTTP conventions) that holds the path or
# the URL as requested.
_PATH_ATTRIBUTES: Final = ("http.target", "url.path", "http.url", "url.full")


def tracing_plugin(
    pools: Iterable[DriverPool], tracer_provider: AnyTracerProvider | None = None
) -> OpenTelemetryPlugin:
    """Litestar's OpenTelemetry plugin, tracing requests on `tracer_provider` (by default one that
    exports over OTLP/HTTP); and the pools' statements traced on the same provider."""
    provider = tracer_provider if tracer_provider is not None else exporting_tracer_provider()
    spans = StatementSpans(provider)
    for pool in pools:
        pool.spans = spans
    config = OpenTelemetryConfig(
        tracer_provider=provider,
        scope_span_details_extractor=route_span_details,
        exclude=UNTRACED_PATHS,
        # One span per ASGI message says nothing a request's span does not.
        exclude_spans=["receive", "send"],
        http_capture_headers_sanitize_fields=[
            *CREDENTIAL_HEADERS,
            *get_custom_headers(OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS),
        ],
    )
    return OpenTelemetryPlugin(config)


def exporting_tracer_provider() -> TracerProvider:
    """Spans batched to OTEL_EXPORTER_OTLP_ENDPOINT over OTLP/HTTP, as service `taskhub` unless
    OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES) names it."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: PLC0415

    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: "taskhub"}))
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def route_span_details(scope: Scope) -> tuple[str, dict[str, Any]]:
    """A request span's name and the attributes that replace the instrumentation's own. It runs
    before Litestar routes the request, so it asks Litestar's router (whose cache then answers
    the routing itself)."""
    method = sanitize_method(str(scope.get("method") or "").strip())
    method = "HTTP" if method in {"", "_OTHER"} else method
    route = _route_of(scope)
    attributes: dict[str, Any] = dict.fromkeys(_PATH_ATTRIBUTES, route or REDACTED)
    if scope.get("query_string"):
        attributes["url.query"] = REDACTED
    if route is None:
        return method, attributes
    attributes["http.route"] = route
    return f"{method} {route}", attributes


def _route_of(scope: Scope) -> str | None:
    """The template of the route the request matches, as Litestar's router finds it (asgi_router.py):
    None when none does (a 404 or 405 of the router's own)."""
    path = scope["path"]
    if root_path := scope.get("root_path", ""):
        path = path.split(root_path, maxsplit=1)[-1]
    try:
        *_, template = scope["app"].asgi_router.handle_routing(
            path=normalize_path(path), method=scope.get("method")
        )
    except HTTPException:
        return None
    return str(template) or None
