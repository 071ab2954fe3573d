"""Where a move puts an object among its siblings: one new key between its new neighbours', or,
when neighbours are tied or the key would grow too long, fresh keys for the whole set."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskhub.domain.ordering import FIRST, MoveTarget, NotASibling, Sibling, in_order, placed
from taskhub.domain.positions import REBALANCE_LENGTH, key_after, key_between, spread


def siblings(count: int) -> list[Sibling]:
    return [Sibling(uuid.uuid4(), key) for key in spread(count)]


def order_after(current: list[Sibling], changes: dict[uuid.UUID, str], moving: Sibling) -> list[uuid.UUID]:
    everyone = {s.id: s.position for s in [*current, moving]}
    everyone.update(changes)
    return [s.id for s in in_order([Sibling(i, p) for i, p in everyone.items()])]


def test_siblings_are_ordered_by_key_byte_wise_then_by_id() -> None:
    low, high = sorted([uuid.uuid4(), uuid.uuid4()])
    mixed = [
        Sibling(high, "a0"),
        Sibling(low, "a0"),
        Sibling(uuid.uuid4(), "Zz"),
        Sibling(uuid.uuid4(), "a0V"),
    ]
    assert [s.position for s in in_order(mixed)] == ["Zz", "a0", "a0", "a0V"]
    assert [s.id for s in in_order(mixed)][1:3] == [low, high]


def test_a_move_after_a_sibling_writes_only_the_moved_key_between_its_neighbours() -> None:
    a, b, c = siblings(3)
    assert placed([a, b, c], c.id, MoveTarget(after=a.id)) == {c.id: key_between(a.position, b.position)}


def test_a_move_before_a_sibling_lands_right_before_it() -> None:
    a, b, c = siblings(3)
    assert placed([a, b, c], a.id, MoveTarget(before=c.id)) == {a.id: key_between(b.position, c.position)}


def test_a_move_first_lands_before_every_sibling() -> None:
    a, b, c = siblings(3)
    assert placed([a, b, c], c.id, FIRST) == {c.id: key_between(None, a.position)}


def test_a_move_after_the_last_sibling_lands_last() -> None:
    a, b, c = siblings(3)
    assert placed([a, b, c], a.id, MoveTarget(after=c.id)) == {a.id: key_after(c.position)}


def test_a_move_to_where_the_object_already_is_changes_nothing() -> None:
    a, b, c = siblings(3)
    assert placed([a, b, c], b.id, MoveTarget(after=a.id)) == {}
    assert placed([a, b, c], a.id, FIRST) == {}


def test_an_object_arriving_from_elsewhere_gets_a_key_among_the_new_siblings() -> None:
    a, b = siblings(2)
    newcomer = uuid.uuid4()
    assert placed([a, b], newcomer, MoveTarget(after=a.id)) == {newcomer: key_between(a.position, b.position)}


def test_the_first_object_of_an_empty_set_gets_the_first_key() -> None:
    newcomer = uuid.uuid4()
    assert placed([], newcomer, FIRST) == {newcomer: key_between(None, None)}


def test_an_anchor_that_is_not_a_sibling_is_refused() -> None:
    a, b = siblings(2)
    with pytest.raises(NotASibling):
        placed([a, b], a.id, MoveTarget(after=uuid.uuid4()))


def test_an_object_cannot_be_its_own_anchor() -> None:
    a, b = siblings(2)
    with pytest.raises(NotASibling):
        placed([a, b], a.id, MoveTarget(before=a.id))


def test_tied_neighbours_make_the_move_give_the_whole_set_fresh_distinct_keys() -> None:
    tied = sorted([Sibling(uuid.uuid4(), "a0") for _ in range(3)], key=lambda s: s.id)
    moving = tied[2]
    changes = placed(tied, moving.id, MoveTarget(after=tied[0].id))
    order = [tied[0].id, moving.id, tied[1].id]
    keys = {s.id: changes.get(s.id, s.position) for s in tied}
    assert [keys[i] for i in order] == spread(3)
    assert moving.id in changes


def test_a_key_that_would_pass_the_rebalance_length_rekeys_the_set_instead() -> None:
    long_left = "a0" + "V" * (REBALANCE_LENGTH - 2)
    left, right = Sibling(uuid.uuid4(), long_left), Sibling(uuid.uuid4(), long_left + "V")
    moving = Sibling(uuid.uuid4(), "b00")
    changes = placed([left, right, moving], moving.id, MoveTarget(after=left.id))
    assert changes == dict(zip([left.id, moving.id, right.id], spread(3), strict=True))


def test_a_rebalance_reports_only_the_keys_that_change() -> None:
    tied = sorted([Sibling(uuid.uuid4(), "a0"), Sibling(uuid.uuid4(), "a0")], key=lambda s: s.id)
    last = Sibling(uuid.uuid4(), "a2")
    changes = placed([*tied, last], last.id, MoveTarget(before=tied[1].id))
    assert changes == {last.id: "a1", tied[1].id: "a2"}


@given(count=st.integers(min_value=1, max_value=12), data=st.data())
def test_after_any_move_the_object_sits_exactly_where_it_was_asked_to(
    count: int, data: st.DataObject
) -> None:
    current = siblings(count)
    moving = data.draw(st.sampled_from(current))
    others = [s for s in current if s.id != moving.id]
    anchor = data.draw(st.sampled_from([None, *others]))
    before = anchor is not None and data.draw(st.booleans())
    target = (
        MoveTarget(before=anchor.id) if before and anchor else MoveTarget(after=anchor.id if anchor else None)
    )
    changes = placed(current, moving.id, target)
    expected = [s.id for s in others]
    at = 0 if anchor is None else expected.index(anchor.id) + (0 if before else 1)
    expected.insert(at, moving.id)
    assert order_after(current, changes, moving) == expected
