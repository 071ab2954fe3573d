"""A task revised in place: `TaskRepository.revise` as one `UPDATE ... RETURNING`.

The statement is generated from the domain's revision rule (`REVISION` in domain/model.py), the
one `Task.revised` applies: the fields the patch sets, the revision's time, the counter + 1, and a
change number; and nothing at all when the patch changes no field (the same test as
`Task.revised`'s comparison of contents). Never a field of `DECIDED_ON_READ` (the task's place,
its completion, a repeating task's schedule): a change to one of them is decided on the task as
read, which the use case does and saves; so no stamp either (each follows the completion).
A Hypothesis contract test holds this statement and `Task.revised` to the same results
(tests/contract/test_revisions.py).

One statement per shape (the fields set, If-Match or not, locking or plain), built on first use.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, or_, update

from taskhub.adapters.postgres.change_lock import LOCKED, NEXT_CHANGE
from taskhub.adapters.postgres.prepared import Prepared
from taskhub.adapters.postgres.tables import tasks
from taskhub.adapters.postgres.task_columns import BY_ID_AND_OWNER, COLUMNS
from taskhub.adapters.postgres.task_fields import stored_value
from taskhub.adapters.postgres.task_writes import Write, versioned
from taskhub.domain.model import DECIDED_ON_READ, REVISION, TaskId, TaskPatch, UserId
from taskhub.domain.preconditions import VersionCondition


@dataclass(frozen=True, slots=True)
class _Shape:
    fields: tuple[str, ...]
    versioned: bool
    locking: bool


def revising(
    owner: UserId, task_id: TaskId, patch: TaskPatch, *, now: datetime, condition: VersionCondition | None
) -> tuple[Write, dict[str, Any]] | None:
    """The statement revising the task by `patch`, and its parameters; None for a patch that sets
    nothing (it revises nothing)."""
    if not patch:
        return None
    parameters: dict[str, Any] = {"task_id": task_id, "owner": owner, "now": now}
    for name, value in patch:
        parameters[f"new_{name}"] = stored_value(name, value)
    # `*` (versions None) asks only that the task exist, which every revision checks anyway.
    versions = condition.versions if condition is not None else None
    if versions is not None:
        parameters["versions"] = sorted(versions)
    fields = tuple(name for name, _ in patch)
    write = Write(
        plain=_statement(_Shape(fields, versions is not None, locking=False)),
        locking=_statement(_Shape(fields, versions is not None, locking=True)),
    )
    return write, parameters


# Shapes: the subsets of content fields x If-Match x locking; each statement small: bounded.
@functools.lru_cache(maxsize=1024)
def _statement(shape: _Shape) -> Prepared:
    new = {name: bindparam(f"new_{name}", type_=tasks.c[name].type) for name in shape.fields}
    now = bindparam("now", type_=tasks.c[REVISION.clock].type)
    values: dict[str, Any] = dict(new)
    if any(name in DECIDED_ON_READ for name in new):
        raise ValueError("a change of place, completion or schedule is saved whole (TaskRepository.save)")
    if any(stamp.flag in new for stamp in REVISION.stamps):
        raise ValueError("a stamp's flag is decided on the task as read")
    values |= {
        REVISION.clock: now,
        REVISION.counter: tasks.c[REVISION.counter] + 1,
        "change_seq": NEXT_CHANGE,
    }
    # Nothing written when nothing changes: the same test as Task.revised's comparison.
    changed = or_(*(tasks.c[name].is_distinct_from(value) for name, value in new.items()))
    statement = update(tasks).where(BY_ID_AND_OWNER, changed).values(**values).returning(*COLUMNS)
    if shape.versioned:
        statement = versioned(statement)
    if shape.locking:
        statement = statement.where(LOCKED.c.held.is_not(None))
    return Prepared.of(statement, name="tasks.revise")
