"""Statements built once: a SQLAlchemy Core construct, compiled once to asyncpg's SQL.

Every value is a bind parameter; asyncpg prepares each statement on the server once per
connection. A statement with a variable *shape* (the listing's filters, a patch's fields) has one
`Prepared` per shape, built on first use and cached by the module that makes it.

Each statement has a name, such as `tasks.get`: what its trace span is called (tracing.py). A
statement's SQL and parameters are never in a span; its name says which one ran.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.dialects import postgresql

_DIALECT: Final = postgresql.asyncpg.dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A statement, its SQL, the order of its parameters, and its name.

    `constants` are the values the statement itself carries (a literal SQLAlchemy sends as a
    parameter); a request supplies every other one, and a missing one is a KeyError, not a NULL.
    """

    statement: Any
    sql: str
    names: tuple[str, ...]
    constants: dict[str, Any]
    name: str

    @classmethod
    def of(cls, statement: Any, *, name: str) -> Prepared:
        compiled = statement.compile(dialect=_DIALECT)
        constants = {key: value for key, value in compiled.params.items() if value is not None}
        return cls(statement, str(compiled), tuple(compiled.positiontup or ()), constants, name)

    @classmethod
    def text(cls, sql: str, *, name: str) -> Prepared:
        """SQL without parameters, such as BEGIN: asyncpg sends it by the simple query protocol,
        which takes several statements at once."""
        return cls(None, sql, (), {}, name)

    def arguments(self, parameters: dict[str, Any]) -> list[Any]:
        return [parameters[name] if name in parameters else self.constants[name] for name in self.names]


def affected_rows(status: str) -> int:
    """The row count of a command tag such as `UPDATE 1` (what asyncpg's `execute` returns)."""
    return int(status.rpartition(" ")[2])
