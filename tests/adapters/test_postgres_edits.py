"""Edits at PostgreSQL: how many statements each one sends (on Neon, each is a network hop)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from taskhub.adapters.system import SystemClock, TimeOrderedIdGenerator
from taskhub.application.tasks import TaskService
from taskhub.domain.errors import PreconditionFailed, TaskNotFound
from taskhub.domain.model import TaskContent, TaskPatch
from taskhub.domain.preconditions import VersionCondition
from taskhub.ports.unit_of_work import UnitOfWork
from tests.factories import task_id, user

pytestmark = pytest.mark.postgres


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL of every statement sent through asyncpg while the test runs."""
    sent: list[str] = []
    for name in ("execute", "fetch", "fetchrow", "fetchval"):
        original = getattr(asyncpg.Connection, name)

        async def counted(
            self: asyncpg.Connection, query: str, *args: Any, _run: Any = original, **kw: Any
        ) -> Any:
            sent.append(query)
            return await _run(self, query, *args, **kw)

        monkeypatch.setattr(asyncpg.Connection, name, counted)
    return sent


@pytest.fixture
def service(postgres_uow: Callable[[], UnitOfWork]) -> TaskService:
    return TaskService(postgres_uow, SystemClock(), TimeOrderedIdGenerator())


async def test_an_edit_that_changes_the_task_is_one_statement(
    service: TaskService, statements: list[str]
) -> None:
    owner = user()
    task = await service.create(owner, TaskContent(title="Buy milk"))
    statements.clear()

    edited = await service.patch(owner, task.id, TaskPatch(title="Buy oat milk"), VersionCondition.one_of(1))

    assert (edited.content.title, edited.version) == ("Buy oat milk", 2)
    assert [s.split()[0] for s in statements] == ["UPDATE"]


@pytest.mark.parametrize("edit", ["complete", "reopen", "replace"])
async def test_completing_reopening_and_replacing_are_one_statement_each(
    service: TaskService, statements: list[str], edit: str
) -> None:
    owner = user()
    task = await service.create(owner, TaskContent(title="Buy milk", completed=edit == "reopen"))
    statements.clear()

    if edit == "replace":
        await service.replace(owner, task.id, TaskContent(title="Call mum"))
    else:
        await getattr(service, edit)(owner, task.id)

    assert len(statements) == 1


async def test_an_edit_that_changes_nothing_reads_to_answer_and_writes_nothing(
    service: TaskService, statements: list[str]
) -> None:
    owner = user()
    task = await service.create(owner, TaskContent(title="Buy milk"))
    statements.clear()

    assert await service.patch(owner, task.id, TaskPatch(title=" Buy milk ")) == task
    assert [s.split()[0] for s in statements] == ["UPDATE", "SELECT"]


async def test_an_edit_the_store_cannot_apply_tells_a_missing_task_from_a_failed_precondition(
    service: TaskService,
) -> None:
    owner = user()
    task = await service.create(owner, TaskContent(title="Buy milk"))
    with pytest.raises(PreconditionFailed):
        await service.patch(owner, task.id, TaskPatch(title="x"), VersionCondition.one_of(7))
    with pytest.raises(TaskNotFound):
        await service.patch(owner, task_id(), TaskPatch(title="x"))
    with pytest.raises(TaskNotFound):
        await service.patch(user("mallory"), task.id, TaskPatch(title="x"))
