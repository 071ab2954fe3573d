"""What an idempotent request ended with, stored per user and key: the task it answered with, or
the domain error it ended with. Nothing of HTTP: the edge renders a replay as it rendered the
first answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from taskhub.domain.lists import TaskList
from taskhub.domain.model import Task, UserId
from taskhub.ports.deferred import Deferred


@dataclass(frozen=True, slots=True)
class Failure:
    """A domain error as data: what kind it was and what it carried (JSON values only)."""

    kind: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """`fingerprint` says what was asked; exactly one of `answer` (the task or list the request
    answered with) and `failure` says how it ended."""

    fingerprint: str
    expires_at: datetime
    answer: Task | TaskList | None = None
    failure: Failure | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """`held`: this unit of work holds the key (False: another one does, right now); `record`:
    what is stored under the key, expired or not."""

    held: bool
    record: IdempotencyRecord | None


class IdempotencyStore(Protocol):
    """Lives in the unit of work: a record is saved in the same transaction as the write it
    records, and the key is held until that transaction ends, whichever instance runs it."""

    async def claim(self, owner: UserId, key: str) -> Claim:
        """Hold `key` for the rest of this unit of work (its transaction starts here, at once),
        and read what is stored under it."""
        ...

    def save(self, owner: UserId, key: str, record: IdempotencyRecord, *, created_at: datetime) -> None:
        """A write command: store `record` under `key`, replacing an expired one."""
        ...

    def purge_expired(self, now: datetime, *, batch_size: int) -> Deferred[int]:
        """Maintenance: delete up to `batch_size` records expired before `now`: how many."""
        ...
