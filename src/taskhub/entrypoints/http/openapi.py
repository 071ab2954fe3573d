"""What Litestar's OpenAPI generator cannot say alone from a handler's signature."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from litestar.openapi.spec import Example, Operation, RequestBody

JSON: Final = "application/json"
MERGE_PATCH: Final = "application/merge-patch+json"


@dataclass
class MergePatchOperation(Operation):
    """A PATCH whose body is sent as `application/json` or `application/merge-patch+json`
    (RFC 7396); the generator knows of one media type per body."""

    def __post_init__(self) -> None:
        if isinstance(self.request_body, RequestBody) and JSON in self.request_body.content:
            self.request_body.content[MERGE_PATCH] = self.request_body.content[JSON]


@dataclass
class ExactExample(Example):
    """An example whose value is written as given. Litestar's drops every null inside a value
    (`"completed_at": null` vanished, and the example no longer matched its schema)."""

    def to_schema(self) -> dict[str, Any]:
        schema = super().to_schema()
        if self.value is not None:
            schema["value"] = self.value
        return schema


def example(summary: str, value: Any) -> list[Example]:
    return [ExactExample(summary=summary, value=value)]
