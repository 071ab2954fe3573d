"""Idempotency records in PostgreSQL, claimed with a transaction-scoped advisory lock.

The claim is `pg_try_advisory_xact_lock` on a hash of (owner, key): every instance behind the load
balancer sees it, it never waits (a second request gets "in flight" at once), it works through
PgBouncer's transaction pooling, and it is released by the commit that stores the record, so the
next retry finds the record and replays it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from taskhub.adapters.postgres.errors import storage_errors
from taskhub.adapters.postgres.tables import idempotency_keys
from taskhub.domain.model import UserId
from taskhub.ports.idempotency import IdempotencyRecord, StoredReply

# Neither part can contain it: user ids and keys are free of control characters.
_SEPARATOR = "\x1f"
_CLAIM = text("SELECT pg_try_advisory_xact_lock(hashtextextended(:name, 0))")


class SqlAlchemyIdempotencyStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self._conn = connection

    async def claim(self, owner: UserId, key: str) -> bool:
        async with storage_errors():
            claimed = await self._conn.scalar(
                _CLAIM, {"name": f"idempotency{_SEPARATOR}{owner}{_SEPARATOR}{key}"}
            )
        return bool(claimed)

    async def find(self, owner: UserId, key: str) -> IdempotencyRecord | None:
        statement = select(
            idempotency_keys.c.fingerprint,
            idempotency_keys.c.status,
            idempotency_keys.c.headers,
            idempotency_keys.c.body,
            idempotency_keys.c.expires_at,
        ).where(idempotency_keys.c.owner_id == owner, idempotency_keys.c.key == key)
        async with storage_errors():
            row = (await self._conn.execute(statement)).first()
        if row is None:
            return None
        reply = StoredReply(status=row.status, body=bytes(row.body), headers=dict(row.headers))
        return IdempotencyRecord(fingerprint=row.fingerprint, reply=reply, expires_at=row.expires_at)

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
        values = {
            "fingerprint": fingerprint,
            "status": reply.status,
            "headers": reply.headers,
            "body": reply.body,
            "created_at": created_at,
            "expires_at": expires_at,
        }
        # The claim is held, so a conflicting row can only be an expired record: replace it.
        statement = (
            insert(idempotency_keys)
            .values(owner_id=owner, key=key, **values)
            .on_conflict_do_update(index_elements=["owner_id", "key"], set_=values)
        )
        async with storage_errors():
            await self._conn.execute(statement)

    async def purge_expired(self, now: datetime, *, batch_size: int = 1000) -> int:
        expired = (
            select(idempotency_keys.c.owner_id, idempotency_keys.c.key)
            .where(idempotency_keys.c.expires_at <= now)
            .limit(batch_size)
            # Several purgers at once each take different rows instead of queueing on the same ones.
            .with_for_update(skip_locked=True)
        )
        statement = delete(idempotency_keys).where(
            tuple_(idempotency_keys.c.owner_id, idempotency_keys.c.key).in_(expired)
        )
        async with storage_errors():
            result = await self._conn.execute(statement)
        return result.rowcount
