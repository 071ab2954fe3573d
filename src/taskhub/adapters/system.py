"""The real clock and id generator."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from taskhub.domain.model import TaskId


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class RandomIdGenerator:
    def new_task_id(self) -> TaskId:
        return TaskId(uuid.uuid4())
