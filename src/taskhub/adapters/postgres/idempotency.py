"""Idempotency records in PostgreSQL, claimed with a transaction-scoped advisory lock.

The claim is `pg_try_advisory_xact_lock` on a hash of (owner, key), taken in the unit of work's
transaction together with the read of the record: every instance behind the load balancer sees
it, it never waits (a second request learns at once that the first is in flight), it works
through PgBouncer's transaction pooling, and the commit that stores the record releases it, so
the next retry finds the record and replays it. A record holds the task or list a request answered
with (as task_rows.py and list_rows.py write them to JSON) or the domain error it ended with: nothing of HTTP.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import msgspec
from sqlalchemy import Integer, bindparam, delete, func, literal, literal_column, select, true, tuple_
from sqlalchemy.dialects.postgresql import insert

from taskhub.adapters.postgres.commands import Command, Session, ignore
from taskhub.adapters.postgres.list_rows import list_from_json, list_to_json
from taskhub.adapters.postgres.prepared import Prepared, affected_rows
from taskhub.adapters.postgres.tables import idempotency_keys
from taskhub.adapters.postgres.task_rows import task_from_json, task_to_json
from taskhub.domain.lists import TaskList
from taskhub.domain.model import Task, UserId
from taskhub.ports.deferred import Deferred
from taskhub.ports.idempotency import Claim, Failure, IdempotencyRecord

# Neither part can contain it: user ids and keys are free of control characters.
_SEPARATOR: Final = "\x1f"
_RECORD: Final = (
    select(
        idempotency_keys.c.fingerprint,
        idempotency_keys.c.task,
        idempotency_keys.c.list,
        idempotency_keys.c.failure,
        idempotency_keys.c.expires_at,
    )
    .where(idempotency_keys.c.owner_id == bindparam("owner"), idempotency_keys.c.key == bindparam("key"))
    .subquery("record")
)
_HOLD: Final = func.pg_try_advisory_xact_lock(func.hashtextextended(bindparam("name"), literal_column("0")))
# One round trip: the lock, and the record if there is one (an outer join from one row).
CLAIM: Final = Prepared.of(
    select(_HOLD.label("held"), *_RECORD.c).select_from(
        select(literal(1).label("one")).subquery("claim").outerjoin(_RECORD, true())
    ),
    name="idempotency.claim",
)
_STORED: Final = ("fingerprint", "task", "list", "failure", "created_at", "expires_at")
# The claim is held, so a conflicting row can only be an expired record: it is replaced.
SAVE: Final = Prepared.of(
    insert(idempotency_keys)
    .values(owner_id=bindparam("owner"), key=bindparam("key"), **{name: bindparam(name) for name in _STORED})
    .on_conflict_do_update(
        index_elements=["owner_id", "key"], set_={name: bindparam(name) for name in _STORED}
    ),
    name="idempotency.save",
)
_EXPIRED = (
    select(idempotency_keys.c.owner_id, idempotency_keys.c.key)
    .where(idempotency_keys.c.expires_at <= bindparam("now", type_=idempotency_keys.c.expires_at.type))
    .limit(bindparam("batch_size", type_=Integer))
    # Several purgers at once each take different rows instead of queueing on the same ones.
    .with_for_update(skip_locked=True)
)
PURGE: Final = Prepared.of(
    delete(idempotency_keys).where(tuple_(idempotency_keys.c.owner_id, idempotency_keys.c.key).in_(_EXPIRED)),
    name="idempotency.purge",
)
_FAILURE: Final = msgspec.json.Decoder(dict[str, Any])


def _record(row: Any) -> IdempotencyRecord | None:
    if row["fingerprint"] is None:
        return None
    failure = None
    if row["failure"] is not None:
        data = _FAILURE.decode(row["failure"])
        failure = Failure(kind=str(data["kind"]), details=dict(data.get("details", {})))
    answer: Task | TaskList | None = None
    if row["task"] is not None:
        answer = task_from_json(row["task"])
    elif row["list"] is not None:
        answer = list_from_json(row["list"])
    return IdempotencyRecord(
        fingerprint=row["fingerprint"], expires_at=row["expires_at"], answer=answer, failure=failure
    )


class PostgresIdempotencyStore:
    def __init__(self, session: Session) -> None:
        self._session = session

    async def claim(self, owner: UserId, key: str) -> Claim:
        await self._session.begin()
        name = _SEPARATOR.join(("idempotency", owner, key))
        row = await self._session.read(CLAIM, {"name": name, "owner": owner, "key": key})
        return Claim(held=bool(row["held"]), record=_record(row))

    def save(self, owner: UserId, key: str, record: IdempotencyRecord, *, created_at: datetime) -> None:
        parameters = {
            "owner": owner,
            "key": key,
            "fingerprint": record.fingerprint,
            # asyncpg takes and gives JSON as text.
            "task": task_to_json(record.answer) if isinstance(record.answer, Task) else None,
            "list": list_to_json(record.answer) if isinstance(record.answer, TaskList) else None,
            "failure": None
            if record.failure is None
            else msgspec.json.encode(
                {"kind": record.failure.kind, "details": record.failure.details}
            ).decode(),
            "created_at": created_at,
            "expires_at": record.expires_at,
        }
        self._session.wait(Command(SAVE, parameters, "execute", ignore))

    def purge_expired(self, now: datetime, *, batch_size: int) -> Deferred[int]:
        answer: Deferred[int] = Deferred()
        parameters = {"now": now, "batch_size": batch_size}
        self._session.wait(
            Command(PURGE, parameters, "execute", lambda status: answer.resolve(affected_rows(status)))
        )
        return answer
