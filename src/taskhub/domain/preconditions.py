"""Conditional writes: which stored versions a client's `If-Match` allows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VersionCondition:
    """`versions=None` is `*` (any current version); otherwise the versions the client has seen."""

    versions: frozenset[int] | None

    @classmethod
    def any_version(cls) -> VersionCondition:
        return cls(None)

    @classmethod
    def one_of(cls, *versions: int) -> VersionCondition:
        return cls(frozenset(versions))

    def allows(self, version: int) -> bool:
        return self.versions is None or version in self.versions
