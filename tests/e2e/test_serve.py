"""`taskhub serve` as a newcomer runs it: embedded PostgreSQL, a dev token, data kept across restarts."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.services import TASKHUB, free_port, wait_until_live


@contextmanager
def serving(env: dict[str, str], port: int) -> Iterator[str]:
    process = subprocess.Popen(  # noqa: S603 - our own console script
        [TASKHUB, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_live(base, process)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def test_a_task_created_through_serve_survives_a_restart(tmp_path: Path) -> None:
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "BETTER_AUTH_SECRET", "TASKHUB_ENV", "WORKERS"}
    }
    env |= {"TASKHUB_DATA_DIR": str(tmp_path / "data"), "PORT": str(port), "HOST": "127.0.0.1"}

    with serving(env, port) as base:
        token = subprocess.run(  # noqa: S603
            [TASKHUB, "token", "--sub", "newcomer"], env=env, check=True, capture_output=True, text=True
        ).stdout.strip()
        headers = {"Authorization": f"Bearer {token}"}
        created = httpx.post(f"{base}/api/tasks", json={"title": "Survive a restart"}, headers=headers)
        assert created.status_code == 201
        assert httpx.get(f"{base}/health/ready").status_code == 200

    with serving(env, port) as base:
        again = httpx.get(created.headers["location"].join([base, ""]), headers=headers)
        assert again.status_code == 200
        assert again.json() == created.json()
