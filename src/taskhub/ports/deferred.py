"""The answer of a write command, known once its unit of work has sent it."""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")
_UNSENT = object()


class Deferred(Generic[T]):
    """What a write command answers (the revised task, whether a row was deleted), known once
    the unit of work has sent the command: after `commit()`, or `flush()`."""

    __slots__ = ("_value",)

    def __init__(self) -> None:
        self._value: object = _UNSENT

    def resolve(self, value: T) -> None:
        if self._value is not _UNSENT:
            raise RuntimeError("a command is sent once")
        self._value = value

    @property
    def sent(self) -> bool:
        return self._value is not _UNSENT

    @property
    def value(self) -> T:
        if self._value is _UNSENT:
            raise RuntimeError("a command's result is known after commit() or flush()")
        return self._value  # type: ignore[return-value]
