"""The list repository of a PostgreSQL unit of work (unit_of_work.py)."""

from __future__ import annotations

from datetime import datetime

from taskhub.adapters.postgres.commands import Command, Session, ignore
from taskhub.adapters.postgres.list_rows import to_list, values_of
from taskhub.adapters.postgres.list_statements import (
    ALL_LISTS,
    DELETE_LIST,
    GET_LIST,
    INSERT_LIST,
    PURGE_LIST_TOMBSTONES,
    SAVE_LIST,
)
from taskhub.domain.lists import TaskList
from taskhub.domain.model import ListId, UserId
from taskhub.ports.deferred import Deferred


class PostgresListRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    async def get(self, owner: UserId, list_id: ListId) -> TaskList | None:
        row = await self._session.read(GET_LIST, {"owner": owner, "list_id": list_id})
        return None if row is None else to_list(row)

    async def all(self, owner: UserId) -> list[TaskList]:
        return [to_list(row) for row in await self._session.read(ALL_LISTS, {"owner": owner}, "fetch")]

    def add(self, task_list: TaskList) -> None:
        self._session.wait(Command(INSERT_LIST, values_of(task_list), "execute", ignore))

    def save(self, task_list: TaskList) -> None:
        parameters = values_of(task_list) | {"owner": task_list.owner_id, "list_id": task_list.id}
        self._session.wait(Command(SAVE_LIST, parameters, "execute", ignore))

    def delete(self, owner: UserId, list_id: ListId, *, at: datetime) -> Deferred[int]:
        answer: Deferred[int] = Deferred()
        parameters = {"owner": owner, "list_id": list_id, "at": at}
        self._session.wait(Command(DELETE_LIST, parameters, "fetchval", lambda n: answer.resolve(int(n))))
        return answer

    def purge_tombstones(self, *, deleted_before: datetime, batch_size: int) -> Deferred[int]:
        answer: Deferred[int] = Deferred()
        parameters = {"deleted_before": deleted_before, "batch_size": batch_size}
        self._session.wait(
            Command(PURGE_LIST_TOMBSTONES, parameters, "fetchval", lambda n: answer.resolve(int(n)))
        )
        return answer
