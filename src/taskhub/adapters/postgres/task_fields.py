"""A task's fields as PostgreSQL stores them, derived from the domain's declarations.

One column per field of `Task`, `content` spread into one column per field of `TaskContent`, each
named as its field, typed by its Python type (a `limit` in its metadata sizes a string), in the
order the fields are declared. The table (tables.py), the row mapping (task_rows.py) and every
statement's column list read `STORED_FIELDS`: adding a field to the domain adds its column
everywhere, and a migration adds it to the database.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from taskhub.domain.model import CONTENT_FIELDS, TASK_FIELDS, Priority, Task, TaskContent


@dataclass(frozen=True, slots=True)
class StoredField:
    name: str
    in_content: bool  # a field of TaskContent (else of Task itself)
    kind: type  # the Python type, without NewType or Optional
    item: type | None  # a tuple's item type
    nullable: bool
    limits: Mapping[str, int]
    default: Any  # the field's default, or dataclasses.MISSING
    # Domain value <-> column value, when they differ (a priority is stored as its rank).
    to_column: Callable[[Any], Any] | None
    from_column: Callable[[Any], Any] | None


def _to_rank(priority: Priority) -> int:
    return priority.rank


def _to_list(values: tuple[str, ...]) -> list[str]:
    return list(values)


# How a Python type is stored when the database holds it otherwise.
_CONVERSIONS: Final[dict[type, tuple[Callable[[Any], Any], Callable[[Any], Any]]]] = {
    Priority: (_to_rank, Priority.from_rank),
    tuple: (_to_list, tuple),
}
STORABLE: Final = (UUID, str, bool, int, datetime, Priority, tuple)


def _resolved(hint: Any) -> tuple[type, type | None, bool]:
    """(type, item type, nullable) of a field's annotation."""
    nullable = False
    if isinstance(hint, types.UnionType | typing._UnionGenericAlias):  # type: ignore[attr-defined]
        arguments = [a for a in typing.get_args(hint) if a is not type(None)]
        nullable = len(arguments) < len(typing.get_args(hint))
        (hint,) = arguments
    while isinstance(hint, typing.NewType):
        hint = hint.__supertype__
    item = None
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        hint = tuple
    if hint not in STORABLE:
        raise TypeError(f"no column type for {hint!r}: teach task_fields.py how to store it")
    return hint, item, nullable


def _stored(field: dataclasses.Field[Any], hint: Any, *, in_content: bool) -> StoredField:
    kind, item, nullable = _resolved(hint)
    to_column, from_column = _CONVERSIONS.get(kind, (None, None))
    return StoredField(
        name=field.name,
        in_content=in_content,
        kind=kind,
        item=item,
        nullable=nullable,
        limits=field.metadata,
        default=field.default,
        to_column=to_column,
        from_column=from_column,
    )


def _stored_fields() -> tuple[StoredField, ...]:
    task_hints = typing.get_type_hints(Task)
    content_hints = typing.get_type_hints(TaskContent)
    stored: list[StoredField] = []
    for field in TASK_FIELDS:
        if field.name == "content":
            stored += (_stored(f, content_hints[f.name], in_content=True) for f in CONTENT_FIELDS)
        else:
            stored.append(_stored(field, task_hints[field.name], in_content=False))
    return tuple(stored)


STORED_FIELDS: Final = _stored_fields()
COLUMN_NAMES: Final = tuple(f.name for f in STORED_FIELDS)
CONTENT_COLUMNS: Final = tuple(f for f in STORED_FIELDS if f.in_content)
BY_NAME: Final = {f.name: f for f in STORED_FIELDS}


def stored_value(name: str, value: Any) -> Any:
    """A domain value of field `name` as its column holds it."""
    convert = BY_NAME[name].to_column
    return value if convert is None else convert(value)
