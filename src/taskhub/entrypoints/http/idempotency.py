"""`Idempotency-Key` at the edge: the header's rule, and the mark on a replayed answer. The
keeping and replaying is the application's (application/idempotency.py)."""

from __future__ import annotations

import re
from typing import Final

from taskhub.domain.errors import InvalidParameter
from taskhub.domain.model import IDEMPOTENCY_KEY_MAX_LENGTH

HEADER: Final = "Idempotency-Key"
REPLAYED_HEADER: Final = "Idempotent-Replayed"
_PRINTABLE_ASCII = re.compile(rf"[\x20-\x7e]{{1,{IDEMPOTENCY_KEY_MAX_LENGTH}}}")


def validated_key(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not _PRINTABLE_ASCII.fullmatch(raw):
        raise InvalidParameter(
            HEADER, f"must be 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters"
        )
    return raw


def replay_headers(replayed: bool) -> dict[str, str]:
    return {REPLAYED_HEADER: "true"} if replayed else {}
