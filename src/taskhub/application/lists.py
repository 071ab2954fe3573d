"""The list use cases. Lists are few and written rarely, so every write reads before it decides:
it holds the owner (`UnitOfWork.hold`), reads the list (and for a create or a move, the owner's
lists), lets the domain decide, and writes what changed, in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Final

from taskhub.application.idempotency import DEFAULT_IDEMPOTENCY_TTL, Idempotency, Outcome, fingerprint
from taskhub.application.operation_log import logged
from taskhub.application.retry import RetryPolicy, retried
from taskhub.domain.errors import FieldError, InvalidList, ListNotFound, PreconditionFailed, TooManyLists
from taskhub.domain.lists import LISTS_PER_USER_MAX, TaskList, list_name
from taskhub.domain.model import ListId, UserId
from taskhub.domain.ordering import MoveTarget, NotASibling, Sibling, placed
from taskhub.domain.positions import key_after
from taskhub.domain.preconditions import VersionCondition
from taskhub.ports.clock import Clock
from taskhub.ports.ids import IdGenerator
from taskhub.ports.lists import ListReader
from taskhub.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

NOT_A_SIBLING: Final = "must be the id of another of your lists"


def _owned(task_list: TaskList, owner: UserId) -> TaskList:
    # Stores filter by owner already; this guards against an adapter bug becoming a leak.
    if not task_list.is_owned_by(owner):
        raise ListNotFound()
    return task_list


class ListService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        reader: ListReader,
        clock: Clock,
        ids: IdGenerator,
        idempotency_ttl: timedelta = DEFAULT_IDEMPOTENCY_TTL,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self._uow = uow
        self._reader = reader
        self._clock = clock
        self._ids = ids
        self._idempotency = Idempotency(clock, idempotency_ttl)
        self.retry_policy = retry_policy or RetryPolicy()

    # --- reads ----------------------------------------------------------------------------------

    @logged("read list", logging.DEBUG)
    @retried
    async def get(self, owner: UserId, list_id: ListId) -> TaskList:
        task_list = await self._reader.get_list(owner, list_id)
        if task_list is None:
            raise ListNotFound()
        return _owned(task_list, owner)

    @logged("lists", logging.DEBUG)
    @retried
    async def all(self, owner: UserId) -> list[TaskList]:
        return [_owned(task_list, owner) for task_list in await self._reader.lists(owner)]

    # --- writes ---------------------------------------------------------------------------------

    @logged("create list")
    @retried
    async def create(self, owner: UserId, name: str, key: str | None = None) -> Outcome[TaskList]:
        """A new list, last among the owner's; refused past LISTS_PER_USER_MAX."""
        name = list_name(name)

        async def create(uow: UnitOfWork) -> TaskList:
            await uow.hold(owner)
            existing = await uow.lists.all(owner)
            if len(existing) >= LISTS_PER_USER_MAX:
                raise TooManyLists(LISTS_PER_USER_MAX)
            last = existing[-1].position if existing else None
            created = TaskList.create(
                self._ids.new_list_id(), owner, name, key_after(last), self._clock.now()
            )
            uow.lists.add(created)
            return created

        return await self._write(owner, key, fingerprint("create list", name), create)

    @logged("rename list")
    @retried
    async def rename(
        self, owner: UserId, list_id: ListId, name: str | None, condition: VersionCondition | None = None
    ) -> Outcome[TaskList]:
        """PATCH and PUT: a list's one writable field is its name (None: a PATCH that sends no
        field, which changes nothing but is checked as any write)."""
        new_name = None if name is None else list_name(name)

        async def rename(uow: UnitOfWork) -> TaskList:
            current = await self._current(uow, owner, list_id, condition)
            if new_name is None:
                return current
            renamed = current.renamed(new_name, self._clock.now())
            if renamed is not current:
                uow.lists.save(renamed)
            return renamed

        return await self._write(owner, None, "", rename)

    @logged("move list")
    @retried
    async def move(
        self, owner: UserId, list_id: ListId, target: MoveTarget, condition: VersionCondition | None = None
    ) -> Outcome[TaskList]:
        """Right after or before another of the owner's lists, or first: the moved list takes a
        key between its new neighbours' (the whole set fresh keys only when it must)."""

        async def move(uow: UnitOfWork) -> TaskList:
            current = await self._current(uow, owner, list_id, condition)
            existing = await uow.lists.all(owner)
            try:
                keys = placed([Sibling(t.id, t.position) for t in existing], list_id, target)
            except NotASibling:
                field = "before" if target.before is not None else "after"
                raise InvalidList([FieldError(field, NOT_A_SIBLING)]) from None
            now, moved = self._clock.now(), current
            for task_list in existing:
                if task_list.id in keys:
                    revised = task_list.moved(keys[task_list.id], now)
                    uow.lists.save(revised)
                    if task_list.id == list_id:
                        moved = revised
            return moved

        return await self._write(owner, None, "", move)

    @logged("delete list")
    @retried
    async def delete(self, owner: UserId, list_id: ListId, condition: VersionCondition | None = None) -> None:
        """The list and every task in it (each a deletion in the change feed)."""

        async def delete(uow: UnitOfWork) -> TaskList:
            current = await self._current(uow, owner, list_id, condition)
            uow.lists.delete(owner, list_id, at=self._clock.now())
            return current

        await self._write(owner, None, "", delete)

    # --- the one way every list write goes --------------------------------------------------

    async def _current(
        self, uow: UnitOfWork, owner: UserId, list_id: ListId, condition: VersionCondition | None
    ) -> TaskList:
        """The list as it is, the owner held: ListNotFound, PreconditionFailed, or the list."""
        await uow.hold(owner)
        current = await uow.lists.get(owner, list_id)
        if current is None:
            raise ListNotFound()
        _owned(current, owner)
        if condition is not None and not condition.allows(current.version):
            raise PreconditionFailed(current.version)
        return current

    async def _write(
        self,
        owner: UserId,
        key: str | None,
        request: str,
        write: Callable[[UnitOfWork], Awaitable[TaskList]],
    ) -> Outcome[TaskList]:
        """`write` in a unit of work, committed; with an Idempotency-Key, once per key."""
        async with self._uow() as uow:
            if key is not None:
                return await self._idempotency.once(uow, owner, key, request, lambda: write(uow))
            answer = await write(uow)
            await uow.commit()
        return Outcome(answer)
