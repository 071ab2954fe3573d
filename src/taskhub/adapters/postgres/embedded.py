"""A real PostgreSQL for development and tests, from the `pgserver` package.

It listens on a unix socket inside its data folder only (no TCP port to collide with), keeps its
data across restarts, and stops when the last process using it exits.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

_log = logging.getLogger(__name__)


class EmbeddedPostgres:
    def __init__(self, pgdata: Path) -> None:
        self.pgdata = pgdata.resolve()
        self._server: Any = None

    def start(self) -> str:
        """Start (or join) the server and return an asyncpg-ready URL for its `postgres` database."""
        try:
            import pgserver  # noqa: PLC0415 - optional dependency, only needed for the embedded mode
        except ImportError as exc:
            raise RuntimeError(
                "the embedded PostgreSQL needs the 'embedded' extra (pip install 'taskhub[embedded]'); "
                "or set DATABASE_URL"
            ) from exc
        self.pgdata.mkdir(parents=True, exist_ok=True)
        self._server = pgserver.get_server(self.pgdata, cleanup_mode="stop")  # type: ignore[attr-defined]
        _log.info("embedded PostgreSQL running", extra={"pgdata": str(self.pgdata)})
        return self.url()

    def url(self, database: str = "postgres") -> str:
        socket_dir = self._server.get_postmaster_info().socket_dir
        return f"postgresql+asyncpg://postgres@/{database}?host={socket_dir}"

    def psql(self, command: str) -> str:
        return str(self._server.psql(command))

    def stop(self) -> None:
        if self._server is not None:
            # With cleanup_mode="stop" this stops the server (if this is the last process using
            # it) and keeps the data.
            self._server.cleanup()
            self._server = None
