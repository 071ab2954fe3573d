"""Change numbers, and the owner's lock that keeps them in commit order.

Every write of a user's task takes a transaction-scoped advisory lock on that user before drawing
its number from `task_change_seq`, and keeps it until commit. So a user's writes commit in the
order of their numbers, and a client that has read the feed up to N can never see a change
numbered below N appear later (docs/sync.md).

The lock rides on the write itself: a FROM subquery that calls a volatile function is evaluated on
its own, before the row it feeds (PostgreSQL never merges it into the outer query), so the number
is drawn under the lock in one round trip (a test EXPLAINs each such write). The first write of an
owner in a transaction, and a write sent on its own, take the *locking* form; later writes in the
same transaction already hold the lock and take the plain one.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import bindparam, func, literal_column, select

from taskhub.adapters.postgres.prepared import Prepared
from taskhub.adapters.postgres.tables import task_change_seq
from taskhub.domain.model import UserId

LOCK_PARAMETER: Final = "lock_name"
CHANGE_LOCK = func.pg_advisory_xact_lock(
    func.hashtextextended(bindparam(LOCK_PARAMETER), literal_column("0"))
)
NEXT_CHANGE = task_change_seq.next_value()
# The lock on its own, for a unit of work that reads before it writes (UnitOfWork.hold).
HOLD: Final = Prepared.of(select(CHANGE_LOCK), name="change_lock.hold")
# The lock as a FROM item: `WHERE LOCKED.c.held IS NOT NULL` makes a statement depend on it.
LOCKED: Final[Any] = select(CHANGE_LOCK.label("held")).subquery("owner_lock")


def lock_name(owner: UserId) -> str:
    return f"changes\x1f{owner}"
