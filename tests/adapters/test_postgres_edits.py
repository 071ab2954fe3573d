"""Writes at PostgreSQL: how many statements each one sends (on Neon, each is a network hop): one
for a create and for an edit of a task's own fields; a write that may reach the task's tree (a
completion, a reopening, a PUT, a deletion) holds the owner, reads the subtree, then writes, in
one transaction; the statements of an idempotent write are counted too."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from taskhub.adapters.system import SystemClock, TimeOrderedIdGenerator
from taskhub.application.tasks import TaskService
from taskhub.domain.errors import PreconditionFailed, TaskNotFound
from taskhub.domain.model import Task, TaskPatch, UserId
from taskhub.domain.preconditions import VersionCondition
from tests.conftest import Storage
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
def service(postgres_storage: Storage) -> TaskService:
    return TaskService(postgres_storage.uow, postgres_storage.reader, SystemClock(), TimeOrderedIdGenerator())


async def created(service: TaskService, owner: UserId, **fields: Any) -> Task:
    return (await service.create(owner, TaskPatch.of(title="Buy milk", **fields))).value


async def test_a_create_is_one_statement(service: TaskService, statements: list[str]) -> None:
    await created(service, user())
    assert [s.split()[0] for s in statements] == ["INSERT"]


async def test_an_edit_that_changes_the_task_is_one_statement(
    service: TaskService, statements: list[str]
) -> None:
    owner = user()
    task = await created(service, owner)
    statements.clear()

    edited = (
        await service.patch(owner, task.id, TaskPatch.of(title="Buy oat milk"), VersionCondition.one_of(1))
    ).value

    assert (edited.content.title, edited.version) == ("Buy oat milk", 2)
    assert [s.split()[0] for s in statements] == ["UPDATE"]


# A write that reaches the tree, for a top-level task without subtasks: the owner's lock, the
# subtree (the task alone), its one write.
_HELD_WRITE = ["BEGIN", "SELECT pg_advisory_xact_lock", "WITH RECURSIVE", "UPDATE tasks", "COMMIT"]


def _heads(statements: list[str]) -> list[str]:
    """Each statement's first words: its verb, and what it acts on or calls."""
    return [" ".join(s.rstrip(";").replace("(", " ").split()[:2]) for s in statements]


async def test_a_deletion_holds_the_owner_reads_the_subtree_and_tombstones_it(
    service: TaskService, statements: list[str]
) -> None:
    owner = user()
    task = await created(service, owner)
    statements.clear()
    await service.delete(owner, task.id, VersionCondition.one_of(1))
    assert _heads(statements) == _HELD_WRITE


@pytest.mark.parametrize("edit", ["complete", "reopen", "replace"])
async def test_completing_reopening_and_replacing_hold_the_owner_and_read_the_subtree_first(
    service: TaskService, statements: list[str], edit: str
) -> None:
    owner = user()
    task = await created(service, owner, completed=edit == "reopen")
    statements.clear()

    if edit == "replace":
        await service.replace(owner, task.id, TaskPatch.of(title="Call mum"))
    else:
        await getattr(service, edit)(owner, task.id)

    assert _heads(statements) == _HELD_WRITE


async def test_an_edit_that_changes_nothing_reads_to_answer_and_writes_nothing(
    service: TaskService, statements: list[str]
) -> None:
    owner = user()
    task = await created(service, owner)
    statements.clear()

    assert (await service.patch(owner, task.id, TaskPatch.of(title=" Buy milk "))).value == task
    assert [s.split()[0] for s in statements] == ["UPDATE", "SELECT"]


async def test_an_edit_the_store_cannot_apply_tells_a_missing_task_from_a_failed_precondition(
    service: TaskService,
) -> None:
    owner = user()
    task = await created(service, owner)
    with pytest.raises(PreconditionFailed):
        await service.patch(owner, task.id, TaskPatch.of(title="x"), VersionCondition.one_of(7))
    with pytest.raises(TaskNotFound):
        await service.patch(owner, task_id(), TaskPatch.of(title="x"))
    with pytest.raises(TaskNotFound):
        await service.patch(user("mallory"), task.id, TaskPatch.of(title="x"))


async def test_an_idempotent_create_claims_its_key_and_stores_its_answer_in_one_transaction(
    service: TaskService, statements: list[str]
) -> None:
    await service.create(user(), TaskPatch.of(title="Buy milk"), key="k-1")
    assert [s.split()[0].rstrip(";") for s in statements] == ["BEGIN", "SELECT", "INSERT", "INSERT", "COMMIT"]
