"""Prometheus metrics: requests, latencies, auth failures, rate limiting, the database pool.

With several worker processes, `PROMETHEUS_MULTIPROC_DIR` (set by `taskhub serve`) makes every
worker write its samples to shared files, and `/metrics` reports the sum over all workers.
"""

from __future__ import annotations

import os
from typing import Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess

from taskhub.adapters.postgres.pool import PoolStatus

REQUESTS: Final = Counter("taskhub_http_requests", "HTTP requests answered", ["method", "route", "status"])
LATENCY: Final = Histogram(
    "taskhub_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
AUTH_FAILURES: Final = Counter("taskhub_auth_failures", "Refused bearer tokens", ["reason"])
RATE_LIMITED: Final = Counter("taskhub_rate_limited", "Requests refused with 429", ["scope"])
RATE_LIMIT_ERRORS: Final = Counter(
    "taskhub_rate_limit_store_errors", "Rate-limit store failures (requests were let through)"
)
POOL: Final = Gauge(
    "taskhub_db_pool_connections",
    "Database pool connections by pool (reads, writes) and state",
    ["pool", "state"],
    multiprocess_mode="livesum",
)

# Litestar adds the charset to a text/ media type itself: named here, it came twice.
CONTENT_TYPE: Final = CONTENT_TYPE_LATEST.replace("; charset=utf-8", "")


def record_pool(pool: str, status: PoolStatus) -> None:
    POOL.labels(pool, "in_use").set(status.in_use)
    POOL.labels(pool, "idle").set(status.idle)
    POOL.labels(pool, "waiting").set(status.waiting)


def exposition() -> bytes:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest()
