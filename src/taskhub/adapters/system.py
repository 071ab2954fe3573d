"""The real clock and id generator."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Final
from uuid import UUID

from taskhub.domain.model import ListId, TaskId

_VERSION_7: Final = 0x7
_VARIANT_RFC: Final = 0b10


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def uuid7(unix_ms: int | None = None) -> UUID:
    """A UUID version 7 (RFC 9562 section 5.7): 48 bits of Unix time in milliseconds, then 74
    random bits. Ids made later sort later, so new rows land at the end of the primary-key index
    instead of all over it, and an id tells roughly when it was made (not a secret here: tasks
    carry created_at)."""
    ms = time.time_ns() // 1_000_000 if unix_ms is None else unix_ms
    random = secrets.randbits(74)
    value = (ms & (1 << 48) - 1) << 80
    value |= _VERSION_7 << 76 | (random >> 62) << 64
    value |= _VARIANT_RFC << 62 | random & (1 << 62) - 1
    return UUID(int=value)


class TimeOrderedIdGenerator:
    def new_task_id(self) -> TaskId:
        return TaskId(uuid7())

    def new_list_id(self) -> ListId:
        return ListId(uuid7())
