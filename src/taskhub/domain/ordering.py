"""Manual order: where a moved task or list goes among its siblings, as new position keys.

A move names a neighbour at the new place (`after` it, `before` it, or first). It writes one key,
the moved object's, between its new neighbours' keys, so no sibling is renumbered; only when that
key would pass `REBALANCE_LENGTH`, or the neighbours share a key (two creates that raced), is the
whole sibling set given fresh, short keys in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from uuid import UUID

from taskhub.domain.positions import key_between, needs_rebalance, spread


@dataclass(frozen=True, slots=True)
class Sibling:
    id: UUID
    position: str


@dataclass(frozen=True, slots=True)
class MoveTarget:
    """Right after `after`, right before `before`, or first (neither): exactly one is given,
    `after` possibly as null."""

    after: UUID | None = None
    before: UUID | None = None

    def anchor(self) -> UUID | None:
        return self.before if self.before is not None else self.after


FIRST: Final = MoveTarget()


class NotASibling(ValueError):
    """The neighbour a move names is not a sibling at the new place."""


def in_order(siblings: Sequence[Sibling]) -> list[Sibling]:
    """The order siblings are shown in: by key, byte-wise, ties broken by id."""
    return sorted(siblings, key=lambda s: (s.position.encode(), s.id))


def placed(siblings: Sequence[Sibling], moving: UUID, target: MoveTarget) -> dict[UUID, str]:
    """The keys that change when `moving` goes to `target` among `siblings` (the objects at the
    new place; `moving` among them when it is already there): its own, or, on a rebalance, every
    one that changes. Empty when it is already there. NotASibling when the anchor is not one."""
    ordered = in_order(siblings)
    others = [s for s in ordered if s.id != moving]
    index = _index(others, target)
    order = [s.id for s in others[:index]] + [moving] + [s.id for s in others[index:]]
    if any(s.id == moving for s in ordered) and order == [s.id for s in ordered]:
        return {}
    left = others[index - 1].position if index > 0 else None
    right = others[index].position if index < len(others) else None
    if left is None or right is None or left.encode() < right.encode():
        key = key_between(left, right)
        if not needs_rebalance(key):
            return {moving: key}
    current = {s.id: s.position for s in ordered}
    fresh = dict(zip(order, spread(len(order)), strict=True))
    return {object_id: key for object_id, key in fresh.items() if current.get(object_id) != key}


def _index(others: Sequence[Sibling], target: MoveTarget) -> int:
    anchor = target.anchor()
    if anchor is None:
        return 0
    for index, sibling in enumerate(others):
        if sibling.id == anchor:
            return index if target.before is not None else index + 1
    raise NotASibling(anchor)
