"""`taskhub purge` against PostgreSQL: expired idempotency keys go, live ones stay."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from taskhub.entrypoints.cli import main
from taskhub.ports.idempotency import StoredReply
from taskhub.ports.unit_of_work import UnitOfWorkFactory
from tests.factories import user

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def keep_logging_as_it_was() -> Iterator[None]:
    """The command configures logging for its process; the test runner's must survive it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_purge_deletes_expired_keys_and_keeps_live_ones(
    postgres_uow: UnitOfWorkFactory,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    owner = user()
    now = datetime.now(UTC)
    async with postgres_uow() as uow:
        for i in range(3):
            await uow.idempotency.save(
                owner,
                f"old-{i}",
                "a" * 64,
                StoredReply(201, b"{}"),
                created_at=now,
                expires_at=now - timedelta(1),
            )
        await uow.idempotency.save(
            owner, "live", "a" * 64, StoredReply(201, b"{}"), created_at=now, expires_at=now + timedelta(1)
        )
        await uow.commit()

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BETTER_AUTH_SECRET", "x" * 32)
    import asyncio  # noqa: PLC0415

    # The command runs its own event loop, as it does from cron.
    assert await asyncio.to_thread(main, ["purge"]) == 0
    assert "purged 3 expired idempotency keys" in capsys.readouterr().out

    async with postgres_uow() as uow:
        assert await uow.idempotency.find(owner, "live") is not None
        assert await uow.idempotency.find(owner, "old-0") is None
