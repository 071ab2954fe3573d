"""Erasing a user's account: everything stored for them, in one transaction (GDPR article 17).

The same use case serves the user (`DELETE /api/account?confirm=true`) and the operator
(`taskhub erase-user --sub USER`, for Better Auth's user deletion hook).
"""

from __future__ import annotations

import logging

from taskhub.application.operation_log import logged
from taskhub.application.retry import RetryPolicy, retried
from taskhub.domain.model import UserId
from taskhub.ports.clock import Clock
from taskhub.ports.unit_of_work import UnitOfWorkFactory

_log = logging.getLogger("taskhub.accounts")


class AccountService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, retry_policy: RetryPolicy | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self.retry_policy = retry_policy or RetryPolicy()

    @logged("erase account")
    @retried
    async def erase(self, owner: UserId) -> int:
        """Every row of `owner`'s gone, their older sync tokens expired; the number of rows
        deleted. Idempotent: erasing again deletes nothing more. Holding the owner serializes it
        with their writes, so none lands half before and half after."""
        async with self._uow() as uow:
            await uow.hold(owner)
            erased = uow.accounts.erase(owner, at=self._clock.now())
            await uow.commit()
        return erased.value
