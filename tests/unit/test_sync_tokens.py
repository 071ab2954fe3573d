"""Sync tokens and their expiry (application/cursors.py, TaskService's feeds): a token expires
when a purge or an erasure raised the owner's watermark above its place after it was issued, and
never because of one that came before it, so a sync that starts afresh can always go on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from taskhub.adapters.memory import InMemoryStore, InMemoryTaskReader, InMemoryUnitOfWork
from taskhub.adapters.system import TimeOrderedIdGenerator
from taskhub.application.cursors import SyncToken, decode_sync_token, encode_sync_token
from taskhub.application.tasks import TaskService
from taskhub.domain.errors import SyncTokenExpired
from taskhub.domain.model import TaskPatch
from tests.factories import T0, FixedClock, user


@pytest.mark.parametrize(
    ("token", "watermark", "expired"),
    [
        (SyncToken(5, watermark=0), 10, True),  # a purge above it came after it
        (SyncToken(5, watermark=10), 10, False),  # the purge came before it was issued
        (SyncToken(5, watermark=10), 12, True),  # another purge came after it
        (SyncToken(10, watermark=0), 10, False),  # it stands at the watermark
        (SyncToken(12, watermark=0), 10, False),  # it stands above it
        (SyncToken(5), 10, True),  # issued before tokens carried the watermark: as old as can be
        (SyncToken(5), 0, False),
    ],
)
def test_a_token_expires_only_for_a_watermark_raised_above_it_since_it_was_issued(
    token: SyncToken, watermark: int, expired: bool
) -> None:
    assert token.expired(watermark) is expired


@pytest.mark.parametrize("token", [SyncToken(0, 0), SyncToken(42, 7), SyncToken(42)])
def test_a_token_reads_back_as_written(token: SyncToken) -> None:
    assert decode_sync_token(encode_sync_token(token)) == token


async def test_a_quiet_user_below_another_users_purged_tombstones_can_page_a_fresh_sync() -> None:
    store, clock = InMemoryStore(), FixedClock()
    tasks = TaskService(
        lambda: InMemoryUnitOfWork(store), InMemoryTaskReader(store), clock, TimeOrderedIdGenerator()
    )
    quiet, busy = user("quiet"), user("busy")
    for title in ("one", "two", "three"):
        await tasks.create(quiet, TaskPatch.of(title=title))
    gone = (await tasks.create(busy, TaskPatch.of(title="gone"))).value
    await tasks.delete(busy, gone.id)
    async with InMemoryUnitOfWork(store) as uow:
        uow.tasks.purge_tombstones(deleted_before=T0 + timedelta(days=1), batch_size=10)
        await uow.commit()

    page = await tasks.changes(quiet, limit=1)
    seen = [change.task_id for change in page.changes]
    while page.has_more:
        page = await tasks.changes(quiet, since=page.next_since, limit=1)
        seen += [change.task_id for change in page.changes]
    assert len(seen) == 3


async def test_a_token_from_before_a_purge_above_it_expires() -> None:
    store, clock = InMemoryStore(), FixedClock()
    tasks = TaskService(
        lambda: InMemoryUnitOfWork(store), InMemoryTaskReader(store), clock, TimeOrderedIdGenerator()
    )
    owner = user()
    await tasks.create(owner, TaskPatch.of(title="kept"))
    token = (await tasks.changes(owner)).next_since
    gone = (await tasks.create(owner, TaskPatch.of(title="gone"))).value
    await tasks.delete(owner, gone.id)
    async with InMemoryUnitOfWork(store) as uow:
        uow.tasks.purge_tombstones(deleted_before=T0 + timedelta(days=1), batch_size=10)
        await uow.commit()
    with pytest.raises(SyncTokenExpired):
        await tasks.changes(owner, since=token)
