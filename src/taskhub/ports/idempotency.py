"""Stored first responses of idempotent requests, per user and key."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from taskhub.domain.model import UserId


@dataclass(frozen=True, slots=True)
class StoredReply:
    """An opaque first response (the adapter never looks inside): replayed byte for byte."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    fingerprint: str
    reply: StoredReply
    expires_at: datetime


class IdempotencyStore(Protocol):
    """Lives in the unit of work: a key is saved in the same transaction as the write it records."""

    async def claim(self, owner: UserId, key: str) -> bool:
        """Hold the key for this transaction; False when another transaction holds it right now."""
        ...

    async def find(self, owner: UserId, key: str) -> IdempotencyRecord | None: ...

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
        """Record the reply; replaces an expired record under the same key."""
        ...

    async def purge_expired(self, now: datetime, *, batch_size: int = 1000) -> int:
        """Delete up to `batch_size` records expired before `now`; the number deleted."""
        ...
