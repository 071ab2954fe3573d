"""In production every line taskhub writes, on stdout and on stderr, is one JSON object: a log
shipper reads them all. The banner and the plain-text messages are a development nicety."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from taskhub.adapters.postgres.migrations import upgrade
from tests.http.conftest import token_for
from tests.support.services import TASKHUB, running_service, service_environment

pytestmark = pytest.mark.postgres


def json_lines(output: str) -> list[dict[str, Any]]:
    lines = output.splitlines()
    assert lines, "nothing was written"
    decoded = [json.loads(line) for line in lines]  # a line that is not JSON fails here
    assert all(isinstance(line, dict) and line["level"] and line["event"] for line in decoded)
    return decoded


def production(database_url: str, **extra: str) -> dict[str, str]:
    return service_environment(
        database_url, TASKHUB_ENV="production", SHUTDOWN_DRAIN_SECONDS="0", LOG_LEVEL="DEBUG", **extra
    )


def test_a_production_server_writes_only_json_lines(fresh_database: Callable[[], str]) -> None:
    env = production(fresh_database(), MIGRATE_ON_START="true")
    headers = {"Authorization": f"Bearer {token_for('ada')}"}
    with running_service(env) as service:
        base = service.base_url
        assert httpx.post(f"{base}/api/tasks", json={"title": "t"}, headers=headers).status_code == 201
        assert httpx.get(f"{base}/api/tasks", headers=headers).status_code == 200
        assert httpx.get(f"{base}/api/nowhere", headers=headers).status_code == 404
        assert httpx.get(f"{base}/api/tasks").status_code == 401
        malformed = httpx.post(
            f"{base}/api/tasks", content=b"{", headers={**headers, "Content-Type": "application/json"}
        )
        assert malformed.status_code == 400
        assert service.stop() == 0
        lines = json_lines(service.output())
    events = {line["event"] for line in lines}
    assert "request" in events
    assert not any("starting on" in line["event"] for line in lines)


def test_a_production_migration_writes_only_json_lines(fresh_database: Callable[[], str]) -> None:
    done = subprocess.run(  # noqa: S603
        [TASKHUB, "migrate"],
        env=production(fresh_database()),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    lines = json_lines(done.stdout + done.stderr)
    assert any(line["event"] == "database schema is up to date" for line in lines)


def test_a_bad_setting_in_production_is_one_json_line_naming_the_variable(database_url: str) -> None:
    upgrade(database_url)
    done = subprocess.run(  # noqa: S603
        [TASKHUB, "serve"],
        env=production(database_url, CORS_ORIGINS="not an origin"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = json_lines(done.stderr)
    assert line["level"] == "error"
    assert "CORS_ORIGINS" in line["event"]


def test_in_development_the_server_greets_a_person(database_url: str) -> None:
    with running_service(service_environment(database_url)) as service:
        assert service.stop() == 0
        output = service.output()
    assert f"taskhub is starting on {service.base_url}" in output
