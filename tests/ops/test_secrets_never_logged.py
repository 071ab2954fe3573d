"""No log line holds a secret, a token, the database password or a task's content, bugs included.

Bugs are forced where they would see the most: inside token verification (whose frames hold the
shared secret and the token) and inside the repository (PostgreSQL quotes the failing row in its
error). Both log formats are scanned whole, after the app has answered 500 to each.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from jose.backends.cryptography_backend import CryptographyHMACKey
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import make_url

from taskhub.adapters.jose_tokens import mint_shared_secret_token
from taskhub.adapters.postgres.engine import PoolSettings
from taskhub.entrypoints.app import create_app
from taskhub.entrypoints.container import Container
from taskhub.entrypoints.logs import configure_logging
from taskhub.entrypoints.settings import Settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    hooks = (sys.excepthook, __import__("threading").excepthook)
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    sys.excepthook, __import__("threading").excepthook = hooks
    logging.captureWarnings(False)


@pytest.mark.parametrize("log_format", ["console", "json"])
async def test_bugs_in_token_verification_and_in_the_repository_leak_nothing_into_the_log(
    database_with_a_bug: str,
    log_format: str,
    restored_logging: None,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret = "secret-" + uuid.uuid4().hex + uuid.uuid4().hex
    password = "Pg-" + uuid.uuid4().hex
    title = "Doomed-" + uuid.uuid4().hex
    # Trust authentication takes any password: it is in the URL only to be looked for in the log.
    url = make_url(database_with_a_bug).set(password=password).render_as_string(hide_password=False)
    settings = Settings(
        database_url=url, auth_secret=secret, pool=PoolSettings(size=2, read_size=2), log_format=log_format
    )
    token = mint_shared_secret_token(secret, "alice", timedelta(minutes=5))
    headers = {"Authorization": f"Bearer {token}"}
    configure_logging("DEBUG", log_format)

    async with AsyncTestClient(app=create_app(Container(settings=settings))) as client:
        saved = await client.post("/api/tasks", json={"title": "fine"}, headers=headers)
        assert saved.status_code == 201
        doomed = await client.post("/api/tasks", json={"title": title, "description": title}, headers=headers)
        assert doomed.status_code == 500

        def broken_verify(self: Any, msg: bytes, sig: bytes) -> bool:
            # A library quoting its inputs in its message, with the key and the token in its frame.
            raise RuntimeError(f"cannot verify {msg!r} with {self.prepared_key!r}")

        monkeypatch.setattr(CryptographyHMACKey, "verify", broken_verify)
        other = mint_shared_secret_token(secret, "bob", timedelta(minutes=5))
        refused = await client.get("/api/tasks", headers={"Authorization": f"Bearer {other}"})
        assert refused.status_code == 500

    output = capsys.readouterr()
    log = output.out + output.err
    for forbidden in (secret, password, title, token, other, token.split(".")[1], other.split(".")[1]):
        assert forbidden not in log
    # The bugs were logged all the same, as what they are.
    assert "CheckViolationError" in log
    assert "constraint_name=simulated_bug" in log
    assert "RuntimeError" in log
    assert "broken_verify" in log
    for response in (doomed, refused):
        assert "Traceback" not in response.text
        assert title not in response.text
