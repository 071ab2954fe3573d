"""Optional OpenTelemetry tracing, on when OTEL_EXPORTER_OTLP_ENDPOINT is set.

Needs the `otel` extra (`pip install 'taskhub[otel]'`). The exporter reads the standard OTEL_*
environment variables (endpoint, headers, service name...).
"""

from __future__ import annotations

from typing import Any


def traced(app: Any) -> Any:
    try:
        from opentelemetry import trace  # noqa: PLC0415
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: PLC0415
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware  # noqa: PLC0415
        from opentelemetry.sdk.resources import Resource  # noqa: PLC0415
        from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
        from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: PLC0415
    except ImportError as exc:
        raise RuntimeError(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but tracing is not installed: pip install 'taskhub[otel]'"
        ) from exc
    provider = TracerProvider(resource=Resource.create({"service.name": "taskhub"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    return OpenTelemetryMiddleware(app)
