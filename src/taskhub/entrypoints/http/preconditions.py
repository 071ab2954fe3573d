"""ETags and the conditional headers that use them (RFC 9110 section 13)."""

from __future__ import annotations

import re
from typing import Final

from taskhub.domain.errors import InvalidParameter
from taskhub.domain.lists import TaskList
from taskhub.domain.model import Task
from taskhub.domain.preconditions import VersionCondition

# One entity tag: optional weak prefix, then a quoted opaque string (RFC 9110 section 8.8.3).
_ENTITY_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e]*)"\s*')
_MAX_HEADER_LENGTH: Final = 1024
_MAX_VERSION_DIGITS: Final = 18


def etag(task: Task | TaskList) -> str:
    return f'"{task.version}"'


def _entity_tags(header: str, name: str) -> list[tuple[bool, str]]:
    """Parse `"a", W/"b"` into (weak, opaque) pairs; a malformed list is a 400."""
    if len(header) > _MAX_HEADER_LENGTH:
        raise InvalidParameter(name, "is too long")
    tags: list[tuple[bool, str]] = []
    for part in header.split(","):
        match = _ENTITY_TAG.fullmatch(part)
        if match is None:
            raise InvalidParameter(name, 'must be * or a list of entity tags such as "3"')
        tags.append((match.group(1) is not None, match.group(2)))
    return tags


def if_match_condition(header: str | None) -> VersionCondition | None:
    """`If-Match` on a write: None when absent (last writer wins), else the versions allowed.

    Strong comparison: a weak tag never matches, and an opaque value that is not one of our
    version numbers cannot match either; both make the write fail with 412, not 400.
    """
    if header is None:
        return None
    if header.strip() == "*":
        return VersionCondition.any_version()
    versions = {
        int(opaque)
        for weak, opaque in _entity_tags(header, "If-Match")
        if not weak and opaque.isdigit() and len(opaque) <= _MAX_VERSION_DIGITS
    }
    return VersionCondition(frozenset(versions))


def if_none_match_hits(header: str | None, task: Task | TaskList) -> bool:
    """`If-None-Match` on a read: True when the client's copy is current (answer 304)."""
    if header is None:
        return False
    if header.strip() == "*":
        return True
    current = str(task.version)
    # Weak comparison: W/"3" and "3" are the same version.
    return any(opaque == current for _, opaque in _entity_tags(header, "If-None-Match"))
