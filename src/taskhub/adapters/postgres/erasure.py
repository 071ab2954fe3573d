"""Erasing a user (`AccountRepository`) in PostgreSQL: one statement that deletes the owner's rows
from every table in `ERASED` and records the erasure, in the unit of work's transaction (which
holds the owner's change lock, so no write of theirs interleaves).

`ERASED` is the list of tables that hold a user's data; tests/adapters/test_erasure.py fails when
the schema has a table with an `owner_id` it does not name, or a table it does not know at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import Table, bindparam, delete, func, literal, select
from sqlalchemy.dialects.postgresql import insert

from taskhub.adapters.postgres.commands import Command, Session
from taskhub.adapters.postgres.prepared import Prepared
from taskhub.adapters.postgres.tables import erasures, idempotency_keys, lists, task_change_seq, tasks
from taskhub.domain.model import UserId
from taskhub.ports.accounts import erasure_digest
from taskhub.ports.deferred import Deferred

# Every table that holds a user's rows, by its `owner_id`. Tasks before lists: a task refers to
# its list (the key is checked at the end of the statement, when both are gone).
ERASED: Final[tuple[Table, ...]] = (tasks, lists, idempotency_keys)

_OWNER = bindparam("owner", type_=tasks.c.owner_id.type)
_deleted = [
    delete(table)
    .where(table.c.owner_id == _OWNER)
    .returning(literal(1).label("row"))
    .cte(f"gone_{table.name}")
    for table in ERASED
]
# Drawn from the change sequence after the owner's lock was taken: above every change of theirs.
_recorded = (
    insert(erasures)
    .values(
        owner_digest=bindparam("digest", type_=erasures.c.owner_digest.type),
        through_seq=task_change_seq.next_value(),
        erased_at=bindparam("at", type_=erasures.c.erased_at.type),
    )
    .on_conflict_do_update(
        index_elements=[erasures.c.owner_digest],
        set_={"through_seq": task_change_seq.next_value(), "erased_at": bindparam("at")},
    )
    .returning(erasures.c.through_seq)
    .cte("recorded")
)
ERASE: Final = Prepared.of(
    select(
        sum(
            (select(func.count()).select_from(gone).scalar_subquery() for gone in _deleted), literal(0)
        ).label("rows"),
        select(_recorded.c.through_seq).scalar_subquery().label("through_seq"),
    ),
    name="accounts.erase",
)


class PostgresAccountRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def erase(self, owner: UserId, *, at: datetime) -> Deferred[int]:
        answer: Deferred[int] = Deferred()
        parameters = {"owner": owner, "digest": erasure_digest(owner), "at": at}
        self._session.wait(
            Command(ERASE, parameters, "fetchrow", lambda row: answer.resolve(int(row["rows"])), owner=owner)
        )
        return answer
