"""`taskhub purge` against PostgreSQL: expired idempotency keys go, live ones stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from taskhub.domain.model import UserId
from taskhub.entrypoints.cli import main
from taskhub.ports.idempotency import Failure, IdempotencyRecord
from tests.conftest import Storage
from tests.factories import user

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("keep_logging_as_it_was")]


def ended(expires_at: datetime) -> IdempotencyRecord:
    return IdempotencyRecord("a" * 64, expires_at, failure=Failure("task_not_found"))


async def claimed(storage: Storage, owner: UserId, key: str) -> IdempotencyRecord | None:
    async with storage.uow() as uow:
        return (await uow.idempotency.claim(owner, key)).record


async def test_purge_deletes_expired_keys_and_keeps_live_ones(
    postgres_storage: Storage,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    owner = user()
    now = datetime.now(UTC)
    async with postgres_storage.uow() as uow:
        for i in range(3):
            uow.idempotency.save(owner, f"old-{i}", ended(now - timedelta(1)), created_at=now)
        uow.idempotency.save(owner, "live", ended(now + timedelta(1)), created_at=now)
        await uow.commit()

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BETTER_AUTH_SECRET", "x" * 32)
    import asyncio  # noqa: PLC0415

    # The command runs its own event loop, as it does from cron.
    assert await asyncio.to_thread(main, ["purge"]) == 0
    assert "purged 3 expired idempotency keys" in capsys.readouterr().out

    assert await claimed(postgres_storage, owner, "live") is not None
    assert await claimed(postgres_storage, owner, "old-0") is None
