"""`AccountRepository.erase`, run against every adapter: every row of the user gone, in every
table, nobody else's touched, and the user's older sync tokens expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from taskhub.domain.model import TaskPatch, UserId
from taskhub.ports.idempotency import Failure, IdempotencyRecord
from tests.conftest import Storage
from tests.factories import T0, make_list, make_task, user

LATER = T0 + timedelta(hours=1)


async def _everything_of(storage: Storage, owner: UserId) -> tuple[int, int, bool]:
    """How many changes (tasks and lists, live and deleted) the owner's feed holds, how many live
    lists, and whether their idempotency record is there."""
    feed = await storage.reader.all_changes(owner, after=0, limit=100)
    lists = await storage.reader.lists(owner)
    async with storage.uow() as uow:
        record = (await uow.idempotency.claim(owner, "key")).record
    return len(feed), len(lists), record is not None


async def _a_user_with_data(storage: Storage) -> UserId:
    owner = user()
    groceries = make_list(owner)
    await storage.add_lists(groceries)
    kept, gone = await storage.add(
        make_task(owner, "kept", list_id=groceries.id), make_task(owner, "in the trash")
    )
    async with storage.uow() as uow:
        uow.tasks.delete(owner, gone.id, at=T0)
        uow.tasks.revise(owner, kept.id, TaskPatch.of(title="renamed"), now=T0)
        expires = datetime.now(UTC) + timedelta(days=1)
        uow.idempotency.save(
            owner, "key", IdempotencyRecord("f" * 64, expires, failure=Failure("x")), created_at=T0
        )
        await uow.commit()
    return owner


async def _erase(storage: Storage, owner: UserId) -> int:
    async with storage.uow() as uow:
        await uow.hold(owner)
        erased = uow.accounts.erase(owner, at=LATER)
        await uow.commit()
    return erased.value


async def test_erasing_deletes_every_row_of_the_user(storage: Storage) -> None:
    owner = await _a_user_with_data(storage)
    assert await _everything_of(storage, owner) == (3, 1, True)
    assert await _erase(storage, owner) == 4  # two tasks, one list, one idempotency record
    assert await _everything_of(storage, owner) == (0, 0, False)


async def test_erasing_touches_nobody_else(storage: Storage) -> None:
    owner, other = await _a_user_with_data(storage), await _a_user_with_data(storage)
    before = await storage.reader.all_changes(other, after=0, limit=100)
    await _erase(storage, owner)
    assert await storage.reader.all_changes(other, after=0, limit=100) == before
    assert await _everything_of(storage, other) == (3, 1, True)


async def test_erasing_again_deletes_nothing_more(storage: Storage) -> None:
    owner = await _a_user_with_data(storage)
    await _erase(storage, owner)
    assert await _erase(storage, owner) == 0


async def test_an_erased_users_older_change_numbers_are_below_their_watermark(storage: Storage) -> None:
    owner = await _a_user_with_data(storage)
    last = (await storage.reader.all_changes(owner, after=0, limit=100))[-1].sequence
    await _erase(storage, owner)
    assert await storage.reader.sync_watermark(owner) >= last


async def test_an_erasure_raises_no_one_elses_watermark(storage: Storage) -> None:
    owner, other = await _a_user_with_data(storage), await _a_user_with_data(storage)
    before = await storage.reader.sync_watermark(other)
    await _erase(storage, owner)
    assert await storage.reader.sync_watermark(other) == before


async def test_an_erased_user_starts_again_empty_and_their_new_changes_are_above_the_watermark(
    storage: Storage,
) -> None:
    owner = await _a_user_with_data(storage)
    await _erase(storage, owner)
    await storage.add(make_task(owner, "a fresh start"))
    (change,) = await storage.reader.all_changes(owner, after=0, limit=100)
    assert change.sequence > await storage.reader.sync_watermark(owner)


async def test_an_erasure_not_committed_deletes_nothing(storage: Storage) -> None:
    owner = await _a_user_with_data(storage)
    async with storage.uow() as uow:
        await uow.hold(owner)
        uow.accounts.erase(owner, at=LATER)
    assert await _everything_of(storage, owner) == (3, 1, True)
