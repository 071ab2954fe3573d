"""The task use cases. Each one is a single transaction scoped to the calling user."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Final, TypeVar

from taskhub.application.cursors import decode_cursor, decode_sync_token, encode_cursor, encode_sync_token
from taskhub.application.operation_log import logged
from taskhub.application.retry import RetryPolicy, retried
from taskhub.domain.errors import (
    EditConflict,
    IdempotencyKeyReused,
    InvalidParameter,
    PreconditionFailed,
    RequestInFlight,
    SyncTokenExpired,
    TaskNotFound,
)
from taskhub.domain.listing import NEWEST_FIRST, PageKey, Sort, TaskFilter, sort_value
from taskhub.domain.model import Task, TaskContent, TaskId, TaskPatch, UserId
from taskhub.domain.preconditions import VersionCondition
from taskhub.ports.clock import Clock
from taskhub.ports.idempotency import StoredReply
from taskhub.ports.ids import IdGenerator
from taskhub.ports.repositories import Change, TaskQuery, TaskRepository
from taskhub.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

_COMPLETE: Final = TaskPatch(completed=True)
_REOPEN: Final = TaskPatch(completed=False)
PAGE_SIZE_MIN: Final = 1
PAGE_SIZE_MAX: Final = 100
PAGE_SIZE_DEFAULT: Final = 50
DEFAULT_IDEMPOTENCY_TTL: Final = timedelta(hours=24)
R = TypeVar("R")

# Edits are applied by the store in one step when they change a task the condition allows
# (`apply_patch`). Otherwise, and for idempotent edits, they are optimistic: read, change, write if
# the version is unchanged, without a transaction (adapters may then save round trips). A
# concurrent writer makes the write miss and the edit reads again; after `_OPTIMISTIC_ATTEMPTS`
# misses (a busy task) it runs in a transaction whose read takes the owner's write lock, where only
# an adapter without that lock can still make it miss.
_OPTIMISTIC_ATTEMPTS: Final = 2
_WRITE_ATTEMPTS: Final = 5


@dataclass(frozen=True, slots=True)
class TaskPage:
    items: list[Task]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ChangePage:
    changes: list[Change]
    next_since: str
    has_more: bool


@dataclass(frozen=True, slots=True)
class IdempotentRequest:
    """A retried-safe request: its key, the fingerprint of what was asked, and how to answer it."""

    key: str
    fingerprint: str
    render: Callable[[Task], StoredReply]


@dataclass(frozen=True, slots=True)
class IdempotentOutcome:
    reply: StoredReply
    replayed: bool


class TaskService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        idempotency_ttl: timedelta = DEFAULT_IDEMPOTENCY_TTL,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._ids = ids
        self._idempotency_ttl = idempotency_ttl
        self.retry_policy = retry_policy or RetryPolicy()

    # --- reads ----------------------------------------------------------------------------------

    @logged("read", logging.DEBUG)
    @retried
    async def get(self, owner: UserId, task_id: TaskId) -> Task:
        async with self._uow().reading() as uow:
            return await _existing(uow.tasks, owner, task_id)

    @logged("list", logging.DEBUG)
    @retried
    async def list(
        self,
        owner: UserId,
        *,
        wanted: TaskFilter | None = None,
        sort: Sort = NEWEST_FIRST,
        limit: int = PAGE_SIZE_DEFAULT,
        cursor: str | None = None,
    ) -> TaskPage:
        wanted = wanted or TaskFilter()
        _check_page_size(limit)
        after = decode_cursor(cursor, sort, wanted) if cursor is not None else None
        query = TaskQuery(filter=wanted, sort=sort, limit=limit + 1, after=after)
        async with self._uow().reading() as uow:
            # One extra row tells whether another page exists without a COUNT.
            rows = await uow.tasks.find(owner, query)
        items, more = rows[:limit], len(rows) > limit
        next_cursor = None
        if more:
            last = items[-1]
            next_cursor = encode_cursor(sort, wanted, PageKey(sort_value(last, sort.field), last.id))
        return TaskPage(items=items, next_cursor=next_cursor)

    @logged("changes", logging.DEBUG)
    @retried
    async def changes(
        self, owner: UserId, *, since: str | None = None, limit: int = PAGE_SIZE_DEFAULT
    ) -> ChangePage:
        _check_page_size(limit)
        after = decode_sync_token(since) if since is not None else 0
        async with self._uow().reading() as uow:
            changes = await uow.tasks.changes(owner, after=after, limit=limit + 1)
            # Read after the changes: a purge that committed in between makes this token expire
            # rather than silently losing the deletions it removed.
            if since is not None and after < await uow.tasks.sync_watermark():
                raise SyncTokenExpired()
        page, more = changes[:limit], len(changes) > limit
        next_since = encode_sync_token(page[-1].sequence if page else after)
        return ChangePage(changes=page, next_since=next_since, has_more=more)

    # --- writes ---------------------------------------------------------------------------------

    @logged("create")
    @retried
    async def create(self, owner: UserId, content: TaskContent) -> Task:
        async with self._uow().optimistic() as uow:
            task = await self._create_in(uow, owner, content)
            await uow.commit()
        return task

    @logged("create")
    @retried
    async def create_once(
        self, owner: UserId, content: TaskContent, request: IdempotentRequest
    ) -> IdempotentOutcome:
        return await self._once(owner, request, lambda uow: self._create_in(uow, owner, content))

    @logged("replace")
    @retried
    async def replace(
        self, owner: UserId, task_id: TaskId, content: TaskContent, condition: VersionCondition | None = None
    ) -> Task:
        return await self._edit(owner, task_id, TaskPatch.of(content), condition)

    @logged("patch")
    @retried
    async def patch(
        self, owner: UserId, task_id: TaskId, patch: TaskPatch, condition: VersionCondition | None = None
    ) -> Task:
        return await self._edit(owner, task_id, patch, condition)

    @logged("complete")
    @retried
    async def complete(
        self, owner: UserId, task_id: TaskId, condition: VersionCondition | None = None
    ) -> Task:
        return await self._edit(owner, task_id, _COMPLETE, condition)

    @logged("complete")
    @retried
    async def complete_once(
        self,
        owner: UserId,
        task_id: TaskId,
        request: IdempotentRequest,
        condition: VersionCondition | None = None,
    ) -> IdempotentOutcome:
        return await self._once(
            owner,
            request,
            lambda uow: self._revise_in(
                uow, owner, task_id, self._completed, condition, attempts=_WRITE_ATTEMPTS
            ),
        )

    @logged("reopen")
    @retried
    async def reopen(self, owner: UserId, task_id: TaskId, condition: VersionCondition | None = None) -> Task:
        return await self._edit(owner, task_id, _REOPEN, condition)

    @logged("reopen")
    @retried
    async def reopen_once(
        self,
        owner: UserId,
        task_id: TaskId,
        request: IdempotentRequest,
        condition: VersionCondition | None = None,
    ) -> IdempotentOutcome:
        return await self._once(
            owner,
            request,
            lambda uow: self._revise_in(
                uow, owner, task_id, self._reopened, condition, attempts=_WRITE_ATTEMPTS
            ),
        )

    @logged("delete")
    @retried
    async def delete(self, owner: UserId, task_id: TaskId, condition: VersionCondition | None = None) -> None:
        if condition is None:
            async with self._uow().optimistic() as uow:
                # One statement: it deletes the live task, or finds none.
                if not await uow.tasks.delete(owner, task_id, at=self._clock.now()):
                    raise TaskNotFound()
                await uow.commit()
            return
        await self._optimistically(
            lambda uow, attempts: self._delete_if(uow, owner, task_id, condition, attempts=attempts)
        )

    # --- the pieces the use cases share ---------------------------------------------------------

    def _completed(self, task: Task) -> Task:
        return task.complete(self._clock.now())

    def _reopened(self, task: Task) -> Task:
        return task.reopen(self._clock.now())

    async def _create_in(self, uow: UnitOfWork, owner: UserId, content: TaskContent) -> Task:
        task = Task.create(self._ids.new_task_id(), owner, content, self._clock.now())
        await uow.tasks.add(task)
        return task

    async def _edit(
        self, owner: UserId, task_id: TaskId, patch: TaskPatch, condition: VersionCondition | None
    ) -> Task:
        """An edit the store applies in place, in one step, when it can; otherwise (no such task,
        an If-Match that fails, a patch that changes nothing) the read-then-write path below,
        which tells those apart and writes after all if the task changed in between."""
        patch = patch.validated()
        now = self._clock.now()
        async with self._uow().optimistic() as uow:
            edited = await uow.tasks.apply_patch(owner, task_id, patch, now=now, condition=condition)
            await uow.commit()
        if edited is not None:
            # The store already filters by owner; as in `_existing`, an adapter bug must never
            # turn into a cross-user leak.
            if not edited.is_owned_by(owner):
                raise TaskNotFound()
            return edited
        return await self._revise(owner, task_id, lambda task: task.patch(patch, now), condition)

    async def _revise(
        self,
        owner: UserId,
        task_id: TaskId,
        change: Callable[[Task], Task],
        condition: VersionCondition | None,
    ) -> Task:
        return await self._optimistically(
            lambda uow, attempts: self._revise_in(uow, owner, task_id, change, condition, attempts=attempts)
        )

    async def _optimistically(self, write: Callable[[UnitOfWork, int], Awaitable[R | None]]) -> R:
        """Runs `write` (given a number of attempts; None when every one lost the race) in an
        optimistic unit of work, then, if it kept losing, in a transaction."""
        async with self._uow().optimistic() as uow:
            written = await write(uow, _OPTIMISTIC_ATTEMPTS)
            await uow.commit()
        if written is not None:
            return written
        async with self._uow() as uow:
            written = await write(uow, _WRITE_ATTEMPTS)
            if written is None:
                raise EditConflict()
            await uow.commit()
        return written

    async def _revise_in(
        self,
        uow: UnitOfWork,
        owner: UserId,
        task_id: TaskId,
        change: Callable[[Task], Task],
        condition: VersionCondition | None,
        *,
        attempts: int,
    ) -> Task | None:
        """The revised task; None when a concurrent writer got in first on every attempt."""
        for _ in range(attempts):
            current = await _existing(uow.tasks, owner, task_id, for_change=True)
            if condition is not None and not condition.allows(current.version):
                raise PreconditionFailed(current.version)
            revised = change(current)
            if revised is current:
                return current
            # The version check is part of the UPDATE itself: a writer that got in between makes
            # it match no row, and the next round re-reads (and re-checks If-Match).
            if await uow.tasks.update(owner, revised, expected_version=current.version):
                return revised
        return None

    async def _delete_if(
        self, uow: UnitOfWork, owner: UserId, task_id: TaskId, condition: VersionCondition, *, attempts: int
    ) -> TaskId | None:
        """The id of the deleted task; None when a concurrent writer got in first every time."""
        for _ in range(attempts):
            current = await _existing(uow.tasks, owner, task_id, for_change=True)
            if not condition.allows(current.version):
                raise PreconditionFailed(current.version)
            if await uow.tasks.delete(owner, task_id, at=self._clock.now(), expected_version=current.version):
                return task_id
        return None

    async def _once(
        self,
        owner: UserId,
        request: IdempotentRequest,
        action: Callable[[UnitOfWork], Awaitable[Task | None]],
    ) -> IdempotentOutcome:
        async with self._uow() as uow:
            # The claim is held until this transaction ends, by whichever instance runs it.
            if not await uow.idempotency.claim(owner, request.key):
                raise RequestInFlight()
            now = self._clock.now()
            record = await uow.idempotency.find(owner, request.key)
            if record is not None and record.expires_at > now:
                if record.fingerprint != request.fingerprint:
                    raise IdempotencyKeyReused()
                return IdempotentOutcome(record.reply, replayed=True)
            task = await action(uow)
            if task is None:  # every attempt lost the race to a concurrent writer
                raise EditConflict()
            reply = request.render(task)
            await uow.idempotency.save(
                owner,
                request.key,
                request.fingerprint,
                reply,
                created_at=now,
                expires_at=now + self._idempotency_ttl,
            )
            await uow.commit()
        return IdempotentOutcome(reply, replayed=False)


def _check_page_size(limit: int) -> None:
    if not PAGE_SIZE_MIN <= limit <= PAGE_SIZE_MAX:
        raise InvalidParameter("limit", f"must be between {PAGE_SIZE_MIN} and {PAGE_SIZE_MAX}")


async def _existing(
    tasks: TaskRepository, owner: UserId, task_id: TaskId, *, for_change: bool = False
) -> Task:
    task = await (tasks.get_for_change if for_change else tasks.get)(owner, task_id)
    # The repository already filters by owner; the second check guards against an adapter bug
    # ever turning into a cross-user leak.
    if task is None or not task.is_owned_by(owner):
        raise TaskNotFound()
    return task
