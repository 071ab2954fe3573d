"""Running uvicorn with a drain period: on SIGTERM, readiness fails first, then the server stops.

uvicorn's own stop is already graceful (stop accepting, finish in-flight requests up to a bound,
run the shutdown hooks that close the pool). What it lacks is the moment before, when the load
balancer must learn that this instance is going away: during `SHUTDOWN_DRAIN_SECONDS` the
instance keeps serving but `/health/ready` answers 503.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import FrameType

import uvicorn
from uvicorn.supervisors import Multiprocess

from taskhub.entrypoints import lifecycle


def _after(seconds: float, action: object) -> None:
    timer = threading.Timer(seconds, action)  # type: ignore[arg-type]
    timer.daemon = True
    timer.start()


class DrainingServer(uvicorn.Server):
    """One worker: the first stop signal starts the drain, the stop follows it."""

    def __init__(self, config: uvicorn.Config, drain_seconds: float) -> None:
        super().__init__(config)
        self._drain_seconds = drain_seconds

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._drain_seconds <= 0 or lifecycle.draining.is_set():
            # No drain configured, or a second signal: stop now (gracefully, as uvicorn does).
            super().handle_exit(sig, frame)
            return
        lifecycle.draining.set()
        _after(self._drain_seconds, lambda: super(DrainingServer, self).handle_exit(sig, frame))


class DrainingSupervisor(Multiprocess):
    """Several workers: the supervisor raises the shared drain flag, then stops its workers."""

    def __init__(self, config: uvicorn.Config, drain_seconds: float, flag: Path) -> None:
        super().__init__(config, sockets=[config.bind_socket()])
        self._drain_seconds = drain_seconds
        self._flag = flag

    def handle_term(self) -> None:
        if self._drain_seconds <= 0 or self._flag.exists():
            super().handle_term()
            return
        self._flag.touch()
        _after(self._drain_seconds, super().handle_term)


def serve(config: uvicorn.Config, drain_seconds: float, data_dir: Path) -> None:
    if config.workers <= 1:
        DrainingServer(config, drain_seconds).run()
        return
    flag = data_dir / "draining"
    flag.parent.mkdir(parents=True, exist_ok=True)
    flag.unlink(missing_ok=True)
    os.environ[lifecycle.DRAIN_FLAG_VARIABLE] = str(flag)
    try:
        DrainingSupervisor(config, drain_seconds, flag).run()
    finally:
        flag.unlink(missing_ok=True)
