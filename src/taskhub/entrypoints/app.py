"""The Litestar application factory."""

from __future__ import annotations

import asyncio
import os

from litestar import Litestar, Router
from litestar.datastructures import ResponseHeader
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from taskhub.entrypoints.container import Container
from taskhub.entrypoints.http.auth import BearerAuthenticationMiddleware, provide_caller
from taskhub.entrypoints.http.body import StrictJsonRequest
from taskhub.entrypoints.http.errors import EXCEPTION_HANDLERS
from taskhub.entrypoints.http.health import HealthController
from taskhub.entrypoints.http.request_id import RequestIdMiddleware
from taskhub.entrypoints.http.tasks import TaskController
from taskhub.entrypoints.settings import Settings

API_PREFIX = "/api"


def create_app(container: Container) -> Litestar:
    settings: Settings = container.settings()

    async def warm_up() -> None:
        # Fetch the JWKS in the background: the first request should not pay for it, and a slow
        # auth server must never delay start-up or readiness.
        jwks = container.jwks()
        if jwks is not None:
            background.add(asyncio.get_running_loop().create_task(jwks.refresh()))

    async def close() -> None:
        for task in background:
            task.cancel()
        jwks = container.jwks()
        if jwks is not None:
            await jwks.close()
        await container.engine().dispose()
        await container.health_engine().dispose()

    background: set[asyncio.Task[None]] = set()

    api = Router(
        path=API_PREFIX,
        route_handlers=[TaskController],
        middleware=[DefineMiddleware(BearerAuthenticationMiddleware)],
        dependencies={"caller": Provide(provide_caller, sync_to_thread=False)},
        response_headers=[
            ResponseHeader(name="Cache-Control", value="no-store"),
            ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
        ],
        security=[{"bearer": []}],
    )
    app = Litestar(
        route_handlers=[api, HealthController],
        exception_handlers=EXCEPTION_HANDLERS,
        request_class=StrictJsonRequest,
        request_max_body_size=settings.max_body_bytes,
        on_startup=[warm_up],
        on_shutdown=[close],
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
    # Litestar's `middleware=` only wraps matched routes; request ids must also reach the 404s
    # and 405s its router answers, so the id middleware wraps the whole ASGI handler.
    app.asgi_handler = RequestIdMiddleware(app.asgi_handler)
    return app


def create_app_from_env() -> Litestar:
    """Factory for the server's worker processes: settings come from their environment."""
    container = Container(settings=Settings.from_env(os.environ))
    return create_app(container)
