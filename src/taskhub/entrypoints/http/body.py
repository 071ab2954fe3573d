"""Strict JSON request bodies.

Litestar decodes a body to Python objects and then converts them leniently (`"true"` becomes
True, `0` becomes 1970-01-01). taskhub's contract wants wrong types refused, so the request
decodes the raw bytes once, strictly, straight into the handler's `data` type.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec
from litestar import Request

from taskhub.entrypoints.http.validation import FieldMessage, body_problems

# application/json, application/merge-patch+json and any other +json type.
_JSON_TYPES: Final = frozenset({"application/json"})
_JSON_SUFFIX: Final = "+json"


class UnsupportedMediaType(Exception):
    """The body is not declared as JSON."""


class MalformedJson(Exception):
    """The body is not well-formed JSON (or not valid UTF-8)."""


class InvalidBody(Exception):
    """Well-formed JSON that does not fit the schema: wrong type, unknown field, broken limit.
    `problems` names every field at fault; it is empty when the body as a whole has the wrong
    shape (a JSON array where an object is expected)."""

    def __init__(self, problems: list[FieldMessage]) -> None:
        self.problems = problems
        super().__init__("the request body does not match the schema")


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type in _JSON_TYPES or media_type.endswith(_JSON_SUFFIX)


class StrictJsonRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        if not _is_json(self.headers.get("content-type", "")):
            raise UnsupportedMediaType()
        target = self.route_handler.parsed_fn_signature.parameters["data"].annotation
        raw = await self.body()
        try:
            return msgspec.json.decode(raw, type=target, strict=True)
        except msgspec.ValidationError as exc:
            raise InvalidBody(body_problems(raw, target, exc)) from exc
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            # Invalid UTF-8 inside a string surfaces as UnicodeDecodeError, not DecodeError.
            raise MalformedJson() from exc
