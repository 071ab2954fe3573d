"""Opaque page cursors: the client hands back what we gave it, and nothing else works."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Final
from uuid import UUID

from taskhub.domain.errors import InvalidQuery
from taskhub.domain.model import TaskId
from taskhub.ports.repositories import TaskKey

_VERSION: Final = 1
# A cursor this long is not one of ours; refusing early bounds the work done on junk.
_MAX_LENGTH: Final = 512


def encode_cursor(key: TaskKey) -> str:
    payload = {"v": _VERSION, "c": key.created_at.isoformat(), "i": str(key.id)}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> TaskKey:
    if len(cursor) > _MAX_LENGTH:
        raise InvalidQuery("cursor", "is not a cursor this service issued")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        if payload["v"] != _VERSION:
            raise ValueError("unknown cursor version")
        created_at = datetime.fromisoformat(payload["c"])
        if created_at.tzinfo is None:
            raise ValueError("naive timestamp")
        return TaskKey(created_at=created_at, id=TaskId(UUID(payload["i"])))
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise InvalidQuery("cursor", "is not a cursor this service issued") from exc
