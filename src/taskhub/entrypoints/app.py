"""The Litestar application factory."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from typing import TYPE_CHECKING, Any, Final

from litestar import Litestar, Router
from litestar.datastructures import ResponseHeader
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from taskhub.adapters.postgres.driver_pool import DriverPool
from taskhub.entrypoints.container import Container
from taskhub.entrypoints.http.account import AccountController
from taskhub.entrypoints.http.auth import BearerAuthenticationMiddleware
from taskhub.entrypoints.http.body import StrictJsonRequest
from taskhub.entrypoints.http.cors import CorsMiddleware, OriginPolicy
from taskhub.entrypoints.http.errors import EXCEPTION_HANDLERS
from taskhub.entrypoints.http.export import ExportController
from taskhub.entrypoints.http.health import HealthController, metrics
from taskhub.entrypoints.http.lists import ChangesController, ListController
from taskhub.entrypoints.http.metrics import record_pool
from taskhub.entrypoints.http.request_context import RequestContextMiddleware
from taskhub.entrypoints.http.tasks import TaskController
from taskhub.entrypoints.logs import configure_logging
from taskhub.entrypoints.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

_log = logging.getLogger("taskhub.app")

API_PREFIX = "/api"
POOL_SAMPLE_SECONDS = 1.0

# A young-generation collection every this many tracked objects allocated and not yet freed,
# instead of CPython's 700. Requests free what they allocate by reference counting, so what the
# collector finds is what requests still in flight hold: a page of 50 tasks is ~300 objects, and
# 16 pages in flight per worker crossed 700 every few requests, each collection walking all of
# them (list-50: 0.15 collections and 22-31 us of CPU per request, get-one: none; timed with
# gc.callbacks). At 10,000 none ran in 4,000 list requests; reference cycles, rare here, wait
# longer to be freed.
YOUNG_COLLECTION_THRESHOLD: Final = 10_000


def _outer_layers(app: Litestar, settings: Settings) -> ASGIApp:
    # Litestar's `middleware=` only wraps matched routes; these must also see the 404s and 405s
    # its router answers, so they wrap the whole ASGI handler.
    handler: Any = app.asgi_handler
    origins = OriginPolicy(settings.cors_origins, local_development=not settings.is_production)
    if origins.enabled:
        handler = CorsMiddleware(handler, origins)
    handler = RequestContextMiddleware(handler)
    if settings.trusted_proxies:
        # X-Forwarded-For/-Proto are believed only from these peers; from anyone else they are ignored.
        handler = ProxyHeadersMiddleware(handler, trusted_hosts=list(settings.trusted_proxies))
    return handler  # type: ignore[no-any-return]


def create_app(
    container: Container,
    *,
    open_pools_at_start: bool = False,
    tracer_provider: TracerProvider | None = None,
) -> Litestar:
    """`open_pools_at_start`: connect the database pools during start-up rather than on the first
    requests; what a served worker wants, and a short-lived app (a test) does not.
    `tracer_provider`: trace on this OpenTelemetry provider (a test's), whatever the settings say;
    otherwise tracing is on when OTEL_EXPORTER_OTLP_ENDPOINT is set (entrypoints/tracing.py)."""
    settings: Settings = container.settings()
    pools: tuple[DriverPool, ...] = (container.write_pool(), container.read_pool())
    plugins: list[Any] = []
    if tracer_provider is not None or settings.otel_endpoint:
        # Imported only then: the production image does not install OpenTelemetry.
        from taskhub.entrypoints.tracing import tracing_plugin  # noqa: PLC0415

        plugins.append(tracing_plugin(pools, tracer_provider))
    background: set[asyncio.Task[None]] = set()
    warming: list[asyncio.Task[None]] = []

    async def warm_up() -> None:
        # Fetch the JWKS in the background: the first request should not pay for it, and a slow
        # auth server must never delay start-up or readiness.
        loop = asyncio.get_running_loop()
        jwks = container.jwks()
        if jwks is not None:
            background.add(loop.create_task(jwks.refresh()))
        if settings.metrics_enabled:
            background.add(loop.create_task(observe_pool()))
        if open_pools_at_start:
            warming.extend(loop.create_task(open_pool(pool)) for pool in pools)
        # Everything built so far lives as long as the process: keep it out of the collector's
        # way, so full collections stay short and do not stall requests (latency tails).
        gc.collect()
        gc.freeze()
        gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])

    async def close() -> None:
        for task in background:
            task.cancel()
        if warming:
            # Let an opening in progress finish (within the connect timeout) so the pool below
            # closes what it opened; one still stuck past that is cancelled, never left to open a
            # pool after the close.
            _, stuck = await asyncio.wait(warming, timeout=settings.pool.connect_timeout_seconds + 1)
            for task in stuck:
                task.cancel()
        jwks = container.jwks()
        if jwks is not None:
            await jwks.close()
        for pool in pools:
            await pool.close()
        await container.health_pool().close()

    async def open_pool(pool: DriverPool) -> None:
        # Open every connection now rather than on the first requests. In the background: a
        # database that is down or waking up must not delay start-up.
        try:
            await pool.warm()
        except Exception:
            _log.warning("opening a database pool at start-up failed", exc_info=True)

    async def observe_pool() -> None:
        # Sampled, not per request: a gauge read once a second costs nothing on the hot path.
        while True:
            record_pool("writes", container.write_pool().status())
            record_pool("reads", container.read_pool().status())
            await asyncio.sleep(POOL_SAMPLE_SECONDS)

    api = Router(
        path=API_PREFIX,
        route_handlers=[
            TaskController,
            ListController,
            ChangesController,
            AccountController,
            ExportController,
        ],
        middleware=[DefineMiddleware(BearerAuthenticationMiddleware)],
        response_headers=[
            ResponseHeader(name="Cache-Control", value="no-store"),
            ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
        ],
        security=[{"bearer": []}],
    )
    route_handlers: list[Any] = [api, HealthController]
    if settings.metrics_enabled:
        route_handlers.append(metrics)
    app = Litestar(
        route_handlers=route_handlers,
        exception_handlers=EXCEPTION_HANDLERS,
        request_class=StrictJsonRequest,
        request_max_body_size=settings.max_body_bytes,
        on_startup=[warm_up],
        on_shutdown=[close],
        plugins=plugins,
        openapi_config=OpenAPIConfig(
            title="taskhub",
            version="1.0.0",
            description="Your tasks, stored safely. Every /api route needs a Better Auth bearer token.",
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(
                        type="http",
                        scheme="bearer",
                        bearer_format="JWT",
                        description="A JWT issued by Better Auth (or minted with the shared secret).",
                    )
                }
            ),
        ),
        debug=False,
        # Logging is configured by taskhub (entrypoints/logs.py), not replaced by Litestar.
        logging_config=None,
    )
    app.state.container = container
    app.asgi_handler = _outer_layers(app, settings)
    return app


def create_app_from_env() -> Litestar:
    """Factory for the server's worker processes: settings come from their environment."""
    settings = Settings.from_env(os.environ)
    configure_logging(settings.log_level, settings.log_format)
    return create_app(Container(settings=settings), open_pools_at_start=True)
