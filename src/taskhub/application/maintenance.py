"""Housekeeping use cases, run by `taskhub purge` (from cron, on any number of instances)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from taskhub.ports.clock import Clock
from taskhub.ports.unit_of_work import UnitOfWorkFactory

_log = logging.getLogger("taskhub.maintenance")


@dataclass(frozen=True, slots=True)
class PurgeReport:
    idempotency_keys: int


class MaintenanceService:
    def __init__(self, uow: UnitOfWorkFactory, clock: Clock, batch_size: int = 1000) -> None:
        self._uow = uow
        self._clock = clock
        self._batch_size = batch_size

    async def purge(self) -> PurgeReport:
        """Delete what has outlived its retention, in short batches so no lock is held for long.

        Safe to run concurrently: each batch deletes rows that are expired whoever deletes them.
        """
        keys = 0
        while True:
            async with self._uow() as uow:
                deleted = await uow.idempotency.purge_expired(self._clock.now(), batch_size=self._batch_size)
                await uow.commit()
            keys += deleted
            if deleted < self._batch_size:
                break
        _log.info("purged expired records", extra={"idempotency_keys": keys})
        return PurgeReport(idempotency_keys=keys)
