"""The columns statements about tasks select, and the condition every one of them starts from."""

from __future__ import annotations

from typing import Final

from sqlalchemy import ColumnElement, and_, bindparam

from taskhub.adapters.postgres.tables import tasks
from taskhub.adapters.postgres.task_fields import COLUMN_NAMES

# A task's columns, in the order task_rows.to_task reads a row.
COLUMNS: Final = tuple(tasks.c[name] for name in COLUMN_NAMES)
# One live task of one owner: the ownership filter is part of every statement about a task.
BY_ID_AND_OWNER: Final[ColumnElement[bool]] = and_(
    tasks.c.id == bindparam("task_id"), tasks.c.owner_id == bindparam("owner"), tasks.c.deleted_at.is_(None)
)
