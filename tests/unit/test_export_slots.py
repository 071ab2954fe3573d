"""How many exports one user may download from one instance at once (EXPORTS_PER_USER): each
holds a database connection for its whole download."""

from __future__ import annotations

from contextlib import AsyncExitStack

import pytest

from taskhub.adapters.icalendar_writer import IcalendarWriter
from taskhub.adapters.memory import InMemoryStore
from taskhub.adapters.memory_export import InMemoryExportReader
from taskhub.application.export import EXPORTS_PER_USER, ExportService
from taskhub.domain.errors import TooManyExports
from tests.factories import FixedClock, user


def exports() -> ExportService:
    return ExportService(InMemoryExportReader(InMemoryStore()), IcalendarWriter(), FixedClock())


async def test_a_user_may_download_two_exports_at_once_and_not_a_third() -> None:
    service, owner = exports(), user()
    assert EXPORTS_PER_USER == 2
    async with AsyncExitStack() as downloading:
        for _ in range(EXPORTS_PER_USER):
            await downloading.enter_async_context(service.everything(owner))
        with pytest.raises(TooManyExports):
            await downloading.enter_async_context(service.everything(owner))
        with pytest.raises(TooManyExports):
            await anext(service.calendar(owner))


async def test_another_users_exports_do_not_count() -> None:
    service, owner, other = exports(), user(), user()
    async with AsyncExitStack() as downloading:
        for _ in range(EXPORTS_PER_USER):
            await downloading.enter_async_context(service.everything(owner))
        async with service.everything(other) as export:
            assert export.lists == []


async def test_a_finished_or_abandoned_export_gives_its_slot_back() -> None:
    service, owner = exports(), user()
    for _ in range(EXPORTS_PER_USER + 1):
        async with service.everything(owner):
            pass
    calendar = service.calendar(owner)
    await anext(calendar)
    await calendar.aclose()  # a client that went away mid-download
    async with AsyncExitStack() as downloading:
        for _ in range(EXPORTS_PER_USER):
            await downloading.enter_async_context(service.everything(owner))
