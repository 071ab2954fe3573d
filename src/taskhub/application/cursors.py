"""Opaque tokens handed to clients: page cursors and sync tokens.

They are base64url JSON, not signed: a tampered token can only ask for another slice of the
caller's own tasks (every query filters by owner), and any token that does not parse is a 400.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from uuid import UUID

from taskhub.domain.errors import InvalidParameter
from taskhub.domain.listing import PageKey, Sort, SortField, SortValue, TaskFilter
from taskhub.domain.model import TITLE_MAX_LENGTH, Priority, TaskId, has_control_characters
from taskhub.domain.positions import is_valid_key

_CURSOR_VERSION: Final = 2
# Change numbers are PostgreSQL bigints.
_MAX_SEQUENCE: Final = 2**63 - 1
_SYNC_VERSION: Final = 1
# Longer than any token we issue; refusing early bounds the work done on junk.
MAX_TOKEN_LENGTH: Final = 1024


# json.dumps builds a new encoder on every call that passes it any option; every page but the last
# carries a cursor.
_COMPACT_JSON: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True)


def _encode(payload: dict[str, Any]) -> str:
    raw = _COMPACT_JSON.encode(payload).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode(token: str, parameter: str) -> dict[str, Any]:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidParameter(parameter, "is not a token this service issued")
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise InvalidParameter(parameter, "is not a token this service issued") from exc
    if not isinstance(payload, dict):
        raise InvalidParameter(parameter, "is not a token this service issued")
    return payload


def _binding(sort: Sort, wanted: TaskFilter) -> str:
    return hashlib.sha256(f"{sort}\x1d{wanted.canonical()}".encode()).hexdigest()[:16]


def encode_cursor(sort: Sort, wanted: TaskFilter, key: PageKey) -> str:
    value = key.value.isoformat() if isinstance(key.value, datetime) else key.value
    return _encode({"v": _CURSOR_VERSION, "b": _binding(sort, wanted), "k": value, "i": str(key.id)})


def decode_cursor(cursor: str, sort: Sort, wanted: TaskFilter) -> PageKey:
    payload = _decode(cursor, "cursor")
    if payload.get("v") != _CURSOR_VERSION:
        raise InvalidParameter("cursor", "is not a cursor this service issued")
    if payload.get("b") != _binding(sort, wanted):
        raise InvalidParameter("cursor", "was made for another sort or other filters; start again without it")
    try:
        return PageKey(value=_sort_value(sort.field, payload["k"]), id=TaskId(UUID(str(payload["i"]))))
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidParameter("cursor", "is not a cursor this service issued") from exc


def _sort_value(field: SortField, raw: Any) -> SortValue:
    match field:
        case SortField.CREATED_AT | SortField.UPDATED_AT:
            return _moment(raw)
        case SortField.DUE_AT:
            return None if raw is None else _moment(raw)
        case SortField.PRIORITY:
            if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw < len(Priority):
                raise ValueError("not a priority rank")
            return raw
        case SortField.TITLE:
            if not isinstance(raw, str) or len(raw) > TITLE_MAX_LENGTH or has_control_characters(raw):
                raise ValueError("not a title")
            return raw
        case SortField.POSITION:
            if not isinstance(raw, str) or not is_valid_key(raw):
                raise ValueError("not a position")
            return raw


def _moment(raw: Any) -> datetime:
    if not isinstance(raw, str):
        raise TypeError("not a timestamp")
    moment = datetime.fromisoformat(raw)
    if moment.tzinfo is None:
        raise ValueError("naive timestamp")
    return moment


@dataclass(frozen=True, slots=True)
class SyncToken:
    """Where a client's sync stands: every change numbered up to `sequence` read, at a time when
    the owner's watermark (`TaskReader.sync_watermark`) was `watermark`. None for a token issued
    before tokens carried it: it is taken as older than any purge."""

    sequence: int
    watermark: int | None = None

    def expired(self, watermark: int) -> bool:
        """Whether changes this client has not read may be gone: a purge or an erasure raised
        the watermark above its place since the token was issued. A token issued after it
        (a sync that started afresh) is not, wherever it stands."""
        seen = -1 if self.watermark is None else self.watermark
        return self.sequence < watermark and seen < watermark


def encode_sync_token(token: SyncToken) -> str:
    return _encode({"v": _SYNC_VERSION, "s": token.sequence, "w": token.watermark})


def decode_sync_token(text: str) -> SyncToken:
    payload = _decode(text, "since")
    sequence, watermark = payload.get("s"), payload.get("w")
    if (
        payload.get("v") != _SYNC_VERSION
        or not isinstance(sequence, int)
        or not _is_sequence(sequence)
        or not (watermark is None or _is_sequence(watermark))
    ):
        raise InvalidParameter("since", "is not a sync token this service issued")
    return SyncToken(sequence, watermark)


def _is_sequence(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_SEQUENCE
