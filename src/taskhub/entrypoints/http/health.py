"""Liveness and readiness probes; no authentication, no rate limit."""

from __future__ import annotations

import msgspec
from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from taskhub.entrypoints import lifecycle
from taskhub.entrypoints.http.errors import RETRY_AFTER_SECONDS
from taskhub.entrypoints.http.metrics import CONTENT_TYPE, exposition
from taskhub.entrypoints.http.openapi import example
from taskhub.ports.readiness import ReadinessProbe


class Health(msgspec.Struct, kw_only=True, omit_defaults=True):
    status: str
    problems: list[str] | None = None


class HealthController(Controller):
    path = "/health"
    tags = ["health"]

    @get("/live", summary="The process is running", cache=False)
    async def live(self) -> Health:
        # Never touches the database: a slow database must not get healthy instances restarted.
        return Health(status="ok")

    @get(
        "/ready",
        summary="The database answers and its schema is current",
        cache=False,
        responses={
            503: ResponseSpec(
                data_container=Health,
                description="Not ready: the database is unavailable, its schema is not the latest, "
                "or the instance is shutting down; `Retry-After` says when to ask again.",
                examples=example(
                    "The database cannot be reached",
                    {"status": "unavailable", "problems": ["database unavailable"]},
                ),
            )
        },
    )
    async def ready(self, state: State) -> Response[Health]:
        if lifecycle.is_draining():
            return _unavailable(["shutting down"])
        probe: ReadinessProbe = state.container.readiness()
        problems = await probe.problems()
        if problems:
            return _unavailable(problems)
        return Response(Health(status="ok"), status_code=200)


def _unavailable(problems: list[str]) -> Response[Health]:
    return Response(
        Health(status="unavailable", problems=problems),
        status_code=503,
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


@get("/metrics", summary="Prometheus metrics", tags=["health"], cache=False, media_type=CONTENT_TYPE)
async def metrics() -> Response[bytes]:
    return Response(content=exposition(), media_type=CONTENT_TYPE)
