"""Identity generation as a port."""

from __future__ import annotations

from typing import Protocol

from taskhub.domain.model import ListId, TaskId


class IdGenerator(Protocol):
    def new_task_id(self) -> TaskId: ...

    def new_list_id(self) -> ListId: ...
