"""Housekeeping use cases, run by `taskhub purge` (from cron, on any number of instances)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from taskhub.ports.clock import Clock
from taskhub.ports.deferred import Deferred
from taskhub.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

_log = logging.getLogger("taskhub.maintenance")


DEFAULT_TOMBSTONE_RETENTION: Final = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class PurgeReport:
    idempotency_keys: int
    tombstones: int


class MaintenanceService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        batch_size: int = 1000,
        tombstone_retention: timedelta = DEFAULT_TOMBSTONE_RETENTION,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._batch_size = batch_size
        self._tombstone_retention = tombstone_retention

    async def purge(self) -> PurgeReport:
        """Delete what has outlived its retention, in short batches so no lock is held for long.

        Safe to run concurrently: each batch deletes rows that are expired whoever deletes them.
        """
        now = self._clock.now()
        keys = await self._in_batches(
            lambda uow: uow.idempotency.purge_expired(now, batch_size=self._batch_size)
        )
        cutoff = now - self._tombstone_retention
        tombstones = await self._in_batches(
            lambda uow: uow.tasks.purge_tombstones(deleted_before=cutoff, batch_size=self._batch_size)
        )
        # After the tasks: a list's tombstone goes once no task row refers to it.
        tombstones += await self._in_batches(
            lambda uow: uow.lists.purge_tombstones(deleted_before=cutoff, batch_size=self._batch_size)
        )
        _log.info("purged expired records", extra={"idempotency_keys": keys, "tombstones": tombstones})
        return PurgeReport(idempotency_keys=keys, tombstones=tombstones)

    async def _in_batches(self, purge: Callable[[UnitOfWork], Deferred[int]]) -> int:
        total = 0
        while True:
            async with self._uow() as uow:
                purged = purge(uow)
                await uow.commit()
            total += purged.value
            if purged.value < self._batch_size:
                return total
