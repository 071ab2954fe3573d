"""The account port: erasing everything stored for a user (GDPR article 17)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Protocol

from taskhub.domain.model import UserId
from taskhub.ports.deferred import Deferred


def erasure_digest(owner: UserId) -> bytes:
    """What an erasure record keeps of the user: the SHA-256 of their id, no more. Enough to
    expire their sync tokens; the id itself, like everything else of theirs, is gone."""
    return hashlib.sha256(owner.encode()).digest()


class AccountRepository(Protocol):
    """A write command inside a unit of work (sent at commit, with the others)."""

    def erase(self, owner: UserId, *, at: datetime) -> Deferred[int]:
        """Delete every row `owner` has in every table that holds a user's data (tasks and lists,
        live or in the trash, so the change feed's entries too, and idempotency records), and
        record the erasure (`erasure_digest`, a change number above all of theirs, `at`), so that
        a sync token from before it expires (`TaskReader.sync_watermark`). The number of rows
        deleted; erasing an erased owner deletes none and renews the record."""
        ...
