"""The IdempotencyStore contract, run against every adapter."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from taskhub.ports.idempotency import IdempotencyRecord, StoredReply
from taskhub.ports.unit_of_work import UnitOfWork
from tests.factories import T0, user

UowFactory = Callable[[], UnitOfWork]
REPLY = StoredReply(status=201, body=b'{"id":"x"}', headers={"Location": "/api/tasks/x", "ETag": '"1"'})
LATER = T0 + timedelta(hours=24)


async def test_a_saved_reply_is_found_by_its_owner_and_key(uow_factory: UowFactory) -> None:
    owner = user()
    async with uow_factory() as uow:
        assert await uow.idempotency.claim(owner, "key-1") is True
        await uow.idempotency.save(owner, "key-1", "f" * 64, REPLY, created_at=T0, expires_at=LATER)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.idempotency.find(owner, "key-1") == IdempotencyRecord("f" * 64, REPLY, LATER)


async def test_keys_are_per_user(uow_factory: UowFactory) -> None:
    alice, bob = user("alice"), user("bob")
    async with uow_factory() as uow:
        await uow.idempotency.save(alice, "same", "a" * 64, REPLY, created_at=T0, expires_at=LATER)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.idempotency.find(bob, "same") is None


async def test_an_uncommitted_reply_is_not_kept(uow_factory: UowFactory) -> None:
    owner = user()
    async with uow_factory() as uow:
        await uow.idempotency.save(owner, "k", "a" * 64, REPLY, created_at=T0, expires_at=LATER)

    async with uow_factory() as uow:
        assert await uow.idempotency.find(owner, "k") is None


async def test_saving_again_replaces_an_expired_record(uow_factory: UowFactory) -> None:
    owner = user()
    fresh = StoredReply(status=200, body=b"{}")
    async with uow_factory() as uow:
        await uow.idempotency.save(owner, "k", "a" * 64, REPLY, created_at=T0, expires_at=LATER)
        await uow.commit()
    async with uow_factory() as uow:
        await uow.idempotency.save(
            owner, "k", "b" * 64, fresh, created_at=LATER, expires_at=LATER + timedelta(days=1)
        )
        await uow.commit()

    async with uow_factory() as uow:
        record = await uow.idempotency.find(owner, "k")
    assert record is not None
    assert (record.fingerprint, record.reply) == ("b" * 64, fresh)


async def test_purge_deletes_expired_records_only_in_batches(uow_factory: UowFactory) -> None:
    owner = user()
    async with uow_factory() as uow:
        for i in range(5):
            await uow.idempotency.save(owner, f"old-{i}", "a" * 64, REPLY, created_at=T0, expires_at=T0)
        await uow.idempotency.save(owner, "live", "a" * 64, REPLY, created_at=T0, expires_at=LATER)
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.idempotency.purge_expired(T0 + timedelta(seconds=1), batch_size=3) == 3
        assert await uow.idempotency.purge_expired(T0 + timedelta(seconds=1), batch_size=3) == 2
        assert await uow.idempotency.purge_expired(T0 + timedelta(seconds=1), batch_size=3) == 0
        await uow.commit()

    async with uow_factory() as uow:
        assert await uow.idempotency.find(owner, "live") is not None
        assert await uow.idempotency.find(owner, "old-0") is None
