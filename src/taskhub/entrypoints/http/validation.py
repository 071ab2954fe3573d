"""What a request got wrong, said as a person filling in a form would want it said.

msgspec stops at the first problem and words it for programmers ("Expected `str` matching regex
'^[^\\x00-...]*$' - at `$.tags[2]`"). A body that fails is looked at again field by field, so
every field at fault is named at once, and each message is put in plain words: no regular
expression, no type name of the implementation.
"""

from __future__ import annotations

import enum
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import msgspec


@dataclass(frozen=True, slots=True)
class FieldMessage:
    """One problem: the field as the client named it (`tags[2]`), and what is wrong with it."""

    field: str
    message: str


# The JSON types msgspec names in its messages, as the client's JSON knows them.
_KINDS: Final = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "array": "an array",
    "object": "an object",
    "null": "null",
    "datetime": "an RFC 3339 timestamp",
    "uuid": "a UUID",
}
_PATH: Final = re.compile(r"(?P<text>.*?)(?: - at `\$(?P<path>[^`]*)`)?", re.DOTALL)
_EXPECTED: Final = re.compile(r"Expected `(?P<expected>[^`]+)`, got `[^`]+`")
_LENGTH: Final = re.compile(r"Expected `(?P<kind>str|array|object)` of length (?P<op>[<>]=) (?P<n>\d+)")
_BOUND: Final = re.compile(r"Expected `(?:int|float)` (?P<op>[<>]=?) (?P<n>-?[\d.]+)")
_UNKNOWN_FIELD: Final = re.compile(r"Object contains unknown field `(?P<name>.*)`", re.DOTALL)
_MISSING_FIELD: Final = re.compile(r"Object missing required field `(?P<name>.*)`", re.DOTALL)
_OPERATORS: Final = {"<=": "at most", ">=": "at least", "<": "less than", ">": "more than"}


def _kind(expected: str) -> str:
    parts = [_KINDS.get(part.strip(), f"a valid {part.strip()}") for part in expected.split("|")]
    return " or ".join(parts)


def plain_message(text: str, kind: Any = None) -> str:
    """msgspec's (or Litestar's) wording of one problem, in plain words. `kind` is the field's
    declared type, when known: it names an enumeration's values."""
    if match := _EXPECTED.fullmatch(text):
        return f"must be {_kind(match['expected'])}"
    if match := _LENGTH.fullmatch(text):
        unit = "characters" if match["kind"] == "str" else "items"
        if match["op"] == ">=" and match["n"] == "1" and unit == "characters":
            return "must not be empty"
        return f"must be {_OPERATORS[match['op']]} {match['n']} {unit}"
    if match := _BOUND.fullmatch(text):
        return f"must be {_OPERATORS[match['op']]} {match['n']}"
    if text.startswith("Expected `str` matching regex"):
        return "must not contain control characters (tab and newline are allowed in a description)"
    if text.startswith("Invalid enum value"):
        values = _enum_values(kind)
        return f"must be one of {', '.join(values)}" if values else "is not one of the allowed values"
    if text.startswith(("Invalid RFC3339", "Invalid datetime")):
        return "must be an RFC 3339 timestamp such as 2026-12-24T18:00:00Z"
    if text.startswith("Expected `datetime` with a timezone"):
        return "must carry a UTC offset (Z, or +01:00)"
    if text.startswith("Invalid UUID"):
        return "must be a UUID"
    return text.replace("`", "")


def _enum_values(kind: Any) -> list[str]:
    for candidate in _unwrapped(kind):
        if isinstance(candidate, type) and issubclass(candidate, enum.Enum):
            return [str(member.value) for member in candidate]
    return []


def _unwrapped(kind: Any) -> Iterator[Any]:
    """A declared type without its Annotated/Optional/list layers, each layer on the way."""
    if kind is None:
        return
    yield kind
    origin = typing.get_origin(kind)
    if origin is typing.Annotated:
        yield from _unwrapped(typing.get_args(kind)[0])
    elif origin is not None:
        for argument in typing.get_args(kind):
            yield from _unwrapped(argument)


def _joined(prefix: str, path: str) -> str:
    """A field name and msgspec's path inside it (`.a`, `[2]`), as one name: `tags[2]`."""
    path = path.removeprefix(".") if not prefix else path
    return f"{prefix}{path}" if prefix else path


def one_problem(message: str, prefix: str = "", kind: Any = None) -> FieldMessage:
    """msgspec's message for one problem, such as "Expected `int`, got `str` - at `$.tags[2]`",
    as the field the client sent (`tags[2]`) and what is wrong with it."""
    parts = _PATH.fullmatch(message)
    text, path = (parts["text"], parts["path"] or "") if parts else (message, "")
    field = _joined(prefix, path)
    if match := _UNKNOWN_FIELD.fullmatch(text):
        return FieldMessage(_joined(field, "." + match["name"]), "is not a field of this request")
    if match := _MISSING_FIELD.fullmatch(text):
        return FieldMessage(_joined(field, "." + match["name"]), "is required")
    return FieldMessage(field, plain_message(text, kind))


def body_problems(raw: bytes, target: Any, first: msgspec.ValidationError) -> list[FieldMessage]:
    """Every problem of a JSON body that failed to decode as `target` (`first` is msgspec's),
    field by field: unknown fields, missing ones, and each field's own first problem. Empty when
    the body as a whole is of the wrong shape (not an object)."""
    only = one_problem(str(first))
    whole = [only] if only.field else []  # no field: the body itself is of the wrong shape
    if not (isinstance(target, type) and issubclass(target, msgspec.Struct)):
        return whole
    try:
        document = msgspec.json.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        # Nested deeper than the untyped decoder goes (the typed one stopped at the top).
        return whole
    if not isinstance(document, dict):
        return []
    fields = msgspec.structs.fields(target)
    declared = {field.encode_name: field for field in fields}
    problems: list[FieldMessage] = []
    for name, value in document.items():  # in the client's order
        field = declared.get(name)
        if field is None:
            problems.append(FieldMessage(name, "is not a field of this request"))
            continue
        try:
            msgspec.json.decode(msgspec.json.encode(value), type=field.type, strict=True)
        except msgspec.ValidationError as exc:
            problems.append(one_problem(str(exc), prefix=name, kind=field.type))
    problems += (
        FieldMessage(name, "is required")
        for name, field in declared.items()
        if field.required and name not in document
    )
    return problems or whole
