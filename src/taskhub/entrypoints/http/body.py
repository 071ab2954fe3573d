"""Strict JSON request bodies.

Litestar decodes a body to Python objects and then converts them leniently (`"true"` becomes
True, `0` becomes 1970-01-01). taskhub's contract wants wrong types refused, so the request
decodes the raw bytes once, strictly, straight into the handler's `data` type.
"""

from __future__ import annotations

import re
from typing import Any, Final

import msgspec
from litestar import Request

# application/json, application/merge-patch+json and any other +json type.
_JSON_TYPES: Final = frozenset({"application/json"})
_JSON_SUFFIX: Final = "+json"


class UnsupportedMediaType(Exception):
    """The body is not declared as JSON."""


class MalformedJson(Exception):
    """The body is not well-formed JSON (or not valid UTF-8)."""


class InvalidBody(Exception):
    """Well-formed JSON that does not fit the schema: wrong type, unknown field, broken limit.

    `field` names what the client sent, as it named it (`title`, `tags[2]`, `ops[1].title`, an
    unknown field's own name); empty when the body as a whole has the wrong shape."""

    def __init__(self, message: str, field: str) -> None:
        self.message = message
        self.field = field
        super().__init__(message)


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type in _JSON_TYPES or media_type.endswith(_JSON_SUFFIX)


# msgspec's messages: what is wrong, then where (a JSON path from `$`, the body) unless it is the
# body itself: "Expected `int`, got `str` - at `$.tags[2]`".
_MESSAGE: Final = re.compile(r"(?P<text>.*?)(?: - at `\$(?P<path>[^`]*)`)?", re.DOTALL)
_UNKNOWN_FIELD: Final = "Object contains unknown field `"
_MISSING_FIELD: Final = "Object missing required field `"


def _joined(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def body_problem(message: str) -> InvalidBody:
    """msgspec's message, such as "Expected `int`, got `str` - at `$.tags[2]`", as the field the
    client sent (`tags[2]`) and what is wrong with it."""
    parts = _MESSAGE.fullmatch(message)
    if parts is None:  # the pattern matches any text; kept for the type checker
        return InvalidBody(message, "")
    text = parts["text"]
    # `$.a.b[2]` is a field inside the body: the client's own names, without the `$.`.
    path = (parts["path"] or "").removeprefix(".")
    if text.startswith(_UNKNOWN_FIELD):
        return InvalidBody("is not a field of this request", _joined(path, text[len(_UNKNOWN_FIELD) : -1]))
    if text.startswith(_MISSING_FIELD):
        return InvalidBody("is required", _joined(path, text[len(_MISSING_FIELD) : -1]))
    return InvalidBody(text, path)


class StrictJsonRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        if not _is_json(self.headers.get("content-type", "")):
            raise UnsupportedMediaType()
        target = self.route_handler.parsed_fn_signature.parameters["data"].annotation
        raw = await self.body()
        try:
            return msgspec.json.decode(raw, type=target, strict=True)
        except msgspec.ValidationError as exc:
            raise body_problem(str(exc)) from exc
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            # Invalid UTF-8 inside a string surfaces as UnicodeDecodeError, not DecodeError.
            raise MalformedJson() from exc
