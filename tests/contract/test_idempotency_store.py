"""The IdempotencyStore contract, run against every adapter."""

from __future__ import annotations

from datetime import timedelta

from taskhub.domain.model import UserId
from taskhub.ports.idempotency import Failure, IdempotencyRecord
from tests.conftest import Storage
from tests.factories import T0, make_task, user

LATER = T0 + timedelta(hours=24)


def ended_with_a_task(owner: UserId, fingerprint: str = "f" * 64) -> IdempotencyRecord:
    return IdempotencyRecord(
        fingerprint, LATER, answer=make_task(owner, "Écrire 📝", tags=("home",)).placed("a0")
    )


async def stored_record(storage: Storage, owner: UserId, key: str) -> IdempotencyRecord | None:
    async with storage.uow() as uow:
        claim = await uow.idempotency.claim(owner, key)
    assert claim.held
    return claim.record


async def test_a_saved_task_ending_is_claimed_back_by_its_owner_and_key(storage: Storage) -> None:
    owner = user()
    record = ended_with_a_task(owner)
    async with storage.uow() as uow:
        claim = await uow.idempotency.claim(owner, "key-1")
        assert (claim.held, claim.record) == (True, None)
        uow.idempotency.save(owner, "key-1", record, created_at=T0)
        await uow.commit()

    assert await stored_record(storage, owner, "key-1") == record


async def test_a_saved_failure_is_claimed_back_as_it_was(storage: Storage) -> None:
    owner = user()
    failure = Failure("invalid_task", {"errors": [["title", "must not be empty or only whitespace"]]})
    async with storage.uow() as uow:
        await uow.idempotency.claim(owner, "refused")
        uow.idempotency.save(
            owner, "refused", IdempotencyRecord("a" * 64, LATER, failure=failure), created_at=T0
        )
        await uow.commit()

    assert await stored_record(storage, owner, "refused") == IdempotencyRecord(
        "a" * 64, LATER, failure=failure
    )


async def test_keys_are_per_user(storage: Storage) -> None:
    alice, bob = user("alice"), user("bob")
    async with storage.uow() as uow:
        await uow.idempotency.claim(alice, "same")
        uow.idempotency.save(alice, "same", ended_with_a_task(alice), created_at=T0)
        await uow.commit()

    assert await stored_record(storage, bob, "same") is None


async def test_an_uncommitted_record_is_not_kept(storage: Storage) -> None:
    owner = user()
    async with storage.uow() as uow:
        await uow.idempotency.claim(owner, "k")
        uow.idempotency.save(owner, "k", ended_with_a_task(owner), created_at=T0)

    assert await stored_record(storage, owner, "k") is None


async def test_saving_again_replaces_an_expired_record(storage: Storage) -> None:
    owner = user()
    async with storage.uow() as uow:
        await uow.idempotency.claim(owner, "k")
        uow.idempotency.save(owner, "k", ended_with_a_task(owner, "a" * 64), created_at=T0)
        await uow.commit()
    fresh = IdempotencyRecord("b" * 64, LATER + timedelta(days=1), failure=Failure("task_not_found"))
    async with storage.uow() as uow:
        await uow.idempotency.claim(owner, "k")
        uow.idempotency.save(owner, "k", fresh, created_at=LATER)
        await uow.commit()

    assert await stored_record(storage, owner, "k") == fresh


async def test_purge_deletes_expired_records_only_in_batches(storage: Storage) -> None:
    owner = user()
    async with storage.uow() as uow:
        for i in range(5):
            old = IdempotencyRecord("a" * 64, T0, failure=Failure("task_not_found"))
            uow.idempotency.save(owner, f"old-{i}", old, created_at=T0)
        uow.idempotency.save(owner, "live", ended_with_a_task(owner), created_at=T0)
        await uow.commit()

    counts = []
    for _ in range(3):
        async with storage.uow() as uow:
            purged = uow.idempotency.purge_expired(T0 + timedelta(seconds=1), batch_size=3)
            await uow.commit()
        counts.append(purged.value)
    assert counts == [3, 2, 0]
    assert await stored_record(storage, owner, "live") is not None
    assert await stored_record(storage, owner, "old-0") is None
