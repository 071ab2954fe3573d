"""The task repository of a PostgreSQL unit of work: reads at once, write commands that wait for
the unit of work to send them (unit_of_work.py), each one statement that checks itself."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from taskhub.adapters.postgres.commands import Command, Session, ignore
from taskhub.adapters.postgres.prepared import affected_rows
from taskhub.adapters.postgres.revisions import revising
from taskhub.adapters.postgres.task_reads import GET
from taskhub.adapters.postgres.task_rows import to_task, values_of
from taskhub.adapters.postgres.task_tree import INSERT_PLACED, LAST_KEY, LINEAGE, SAVE, SIBLINGS, SUBTREE
from taskhub.adapters.postgres.task_writes import (
    DELETE,
    DELETE_IF_VERSION,
    INSERT_TOP_LEVEL,
    PURGE_TOMBSTONES,
)
from taskhub.domain.model import DECIDED_ON_READ, UNPLACED, ListId, Task, TaskId, TaskPatch, UserId
from taskhub.domain.ordering import Sibling
from taskhub.domain.preconditions import VersionCondition
from taskhub.ports.deferred import Deferred


def _task_or_none(row: Any) -> Task | None:
    return None if row is None else to_task(row)


class PostgresTaskRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    async def get(self, owner: UserId, task_id: TaskId) -> Task | None:
        return _task_or_none(await self._session.read(GET, {"task_id": task_id, "owner": owner}))

    def add(self, task: Task) -> Deferred[Task]:
        answer: Deferred[Task] = Deferred()
        if task.position != UNPLACED:
            self._session.wait(
                Command(INSERT_PLACED, values_of(task), "execute", ignore, owner=task.owner_id)
            )
            answer.resolve(task)
            return answer
        self._session.wait(
            Command(
                INSERT_TOP_LEVEL,
                values_of(task),
                "fetchval",
                lambda position: answer.resolve(task.placed(position)),
                owner=task.owner_id,
            )
        )
        return answer

    async def subtree(self, owner: UserId, task_id: TaskId) -> list[Task]:
        rows = await self._session.read(SUBTREE, {"task_id": task_id, "owner": owner}, "fetch")
        return [to_task(row) for row in rows]

    async def lineage(self, owner: UserId, task_id: TaskId) -> list[Task]:
        rows = await self._session.read(LINEAGE, {"task_id": task_id, "owner": owner}, "fetch")
        return [to_task(row) for row in rows]

    async def siblings(
        self, owner: UserId, list_id: ListId | None, parent_id: TaskId | None
    ) -> list[Sibling]:
        statement = SIBLINGS[(list_id is None, parent_id is not None)]
        parameters = {"owner": owner, "list_id": list_id, "parent_id": parent_id}
        rows = await self._session.read(statement, parameters, "fetch")
        return [Sibling(row[0], row[1]) for row in rows]

    async def last_position(
        self, owner: UserId, list_id: ListId | None, parent_id: TaskId | None
    ) -> str | None:
        statement = LAST_KEY[(list_id is None, parent_id is not None)]
        parameters = {"owner": owner, "list_id": list_id, "parent_id": parent_id}
        key: str | None = await self._session.read(statement, parameters, "fetchval")
        return key

    def save(self, task: Task) -> None:
        parameters = values_of(task) | {"owner": task.owner_id}
        self._session.wait(Command(SAVE, parameters, "execute", ignore, owner=task.owner_id))

    def revise(
        self,
        owner: UserId,
        task_id: TaskId,
        patch: TaskPatch,
        *,
        now: datetime,
        condition: VersionCondition | None = None,
    ) -> Deferred[Task | None]:
        if any(name in DECIDED_ON_READ for name, _ in patch):
            raise ValueError("a change of place, completion or schedule is saved whole, once decided")
        answer: Deferred[Task | None] = Deferred()
        statement = revising(owner, task_id, patch, now=now, condition=condition)
        if statement is None:
            answer.resolve(None)  # a patch that sets nothing revises nothing: no statement at all
            return answer
        write, parameters = statement
        self._session.wait(
            Command(
                write, parameters, "fetchrow", lambda row: answer.resolve(_task_or_none(row)), owner=owner
            )
        )
        return answer

    def delete(
        self, owner: UserId, task_id: TaskId, *, at: datetime, condition: VersionCondition | None = None
    ) -> Deferred[bool]:
        answer: Deferred[bool] = Deferred()
        parameters: dict[str, Any] = {"task_id": task_id, "owner": owner, "at": at}
        write = DELETE
        if condition is not None and condition.versions is not None:
            write, parameters["versions"] = DELETE_IF_VERSION, sorted(condition.versions)
        self._session.wait(
            Command(
                write,
                parameters,
                "execute",
                lambda status: answer.resolve(affected_rows(status) == 1),
                owner=owner,
            )
        )
        return answer

    def purge_tombstones(self, *, deleted_before: datetime, batch_size: int) -> Deferred[int]:
        answer: Deferred[int] = Deferred()
        parameters = {"deleted_before": deleted_before, "batch_size": batch_size}
        self._session.wait(
            Command(PURGE_TOMBSTONES, parameters, "fetchval", lambda count: answer.resolve(int(count)))
        )
        return answer
