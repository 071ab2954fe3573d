"""Opaque tokens handed to clients: page cursors and sync tokens.

They are base64url JSON, not signed: a tampered token can only ask for another slice of the
caller's own tasks (every query filters by owner), and any token that does not parse is a 400.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
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


def encode_sync_token(sequence: int) -> str:
    return _encode({"v": _SYNC_VERSION, "s": sequence})


def decode_sync_token(token: str) -> int:
    payload = _decode(token, "since")
    sequence = payload.get("s")
    if (
        payload.get("v") != _SYNC_VERSION
        or not isinstance(sequence, int)
        or isinstance(sequence, bool)
        or not 0 <= sequence <= _MAX_SEQUENCE
    ):
        raise InvalidParameter("since", "is not a sync token this service issued")
    return sequence
