"""Idempotency records in PostgreSQL, claimed with a transaction-scoped advisory lock.

The claim is `pg_try_advisory_xact_lock` on a hash of (owner, key): every instance behind the load
balancer sees it, it never waits (a second request gets "in flight" at once), it works through
PgBouncer's transaction pooling, and it is released by the commit that stores the record, so the
next retry finds the record and replays it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Integer, bindparam, delete, func, literal_column, select, tuple_
from sqlalchemy.dialects.postgresql import insert

from taskhub.adapters.postgres.driver_pool import PooledConnection
from taskhub.adapters.postgres.errors import storage_errors
from taskhub.adapters.postgres.statements import Prepared, affected_rows
from taskhub.adapters.postgres.tables import idempotency_keys
from taskhub.domain.model import UserId
from taskhub.ports.idempotency import IdempotencyRecord, StoredReply

# Neither part can contain it: user ids and keys are free of control characters.
_SEPARATOR = "\x1f"
_KEY = (idempotency_keys.c.owner_id == bindparam("owner"), idempotency_keys.c.key == bindparam("key"))
_CLAIM = Prepared.of(
    select(func.pg_try_advisory_xact_lock(func.hashtextextended(bindparam("name"), literal_column("0"))))
)
_FIND = Prepared.of(
    select(
        idempotency_keys.c.fingerprint,
        idempotency_keys.c.status,
        idempotency_keys.c.headers,
        idempotency_keys.c.body,
        idempotency_keys.c.expires_at,
    ).where(*_KEY)
)
_STORED = ("fingerprint", "status", "headers", "body", "created_at", "expires_at")
# The claim is held, so a conflicting row can only be an expired record: replace it.
_SAVE = Prepared.of(
    insert(idempotency_keys)
    .values(owner_id=bindparam("owner"), key=bindparam("key"), **{name: bindparam(name) for name in _STORED})
    .on_conflict_do_update(
        index_elements=["owner_id", "key"], set_={name: bindparam(name) for name in _STORED}
    )
)
_EXPIRED = (
    select(idempotency_keys.c.owner_id, idempotency_keys.c.key)
    .where(idempotency_keys.c.expires_at <= bindparam("now", type_=idempotency_keys.c.expires_at.type))
    .limit(bindparam("batch_size", type_=Integer))
    # Several purgers at once each take different rows instead of queueing on the same ones.
    .with_for_update(skip_locked=True)
)
_PURGE = Prepared.of(
    delete(idempotency_keys).where(tuple_(idempotency_keys.c.owner_id, idempotency_keys.c.key).in_(_EXPIRED))
)
_HEADERS = msgspec.json.Decoder(dict[str, str])


class AsyncpgIdempotencyStore:
    def __init__(self, connection: PooledConnection) -> None:
        self._conn = connection

    async def _fetchrow(self, statement: Prepared, parameters: dict[str, Any]) -> Any:
        async with storage_errors():
            return await self._conn.fetchrow(statement.sql, *statement.arguments(parameters))

    async def claim(self, owner: UserId, key: str) -> bool:
        row = await self._fetchrow(_CLAIM, {"name": f"idempotency{_SEPARATOR}{owner}{_SEPARATOR}{key}"})
        return bool(row[0])

    async def find(self, owner: UserId, key: str) -> IdempotencyRecord | None:
        row = await self._fetchrow(_FIND, {"owner": owner, "key": key})
        if row is None:
            return None
        reply = StoredReply(
            status=row["status"], body=bytes(row["body"]), headers=_HEADERS.decode(row["headers"])
        )
        return IdempotencyRecord(fingerprint=row["fingerprint"], reply=reply, expires_at=row["expires_at"])

    async def save(
        self,
        owner: UserId,
        key: str,
        fingerprint: str,
        reply: StoredReply,
        *,
        created_at: datetime,
        expires_at: datetime,
    ) -> None:
        parameters = {
            "owner": owner,
            "key": key,
            "fingerprint": fingerprint,
            "status": reply.status,
            # asyncpg takes and gives JSON as text.
            "headers": msgspec.json.encode(reply.headers).decode(),
            "body": reply.body,
            "created_at": created_at,
            "expires_at": expires_at,
        }
        async with storage_errors():
            await self._conn.execute(_SAVE.sql, *_SAVE.arguments(parameters))

    async def purge_expired(self, now: datetime, *, batch_size: int = 1000) -> int:
        async with storage_errors():
            status = await self._conn.execute(
                _PURGE.sql, *_PURGE.arguments({"now": now, "batch_size": batch_size})
            )
        return affected_rows(status)
