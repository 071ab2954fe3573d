"""Position keys (domain/positions.py): equal to the reference implementation of fractional
indexing, the PyPI package `fractional-indexing`, for every valid input, and kept short by
rebalancing when moves keep landing in one gap."""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import fractional_indexing  # type: ignore[import-untyped]
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from taskhub.domain.positions import (
    FIRST,
    POSITION_MAX_LENGTH,
    REBALANCE_LENGTH,
    InvalidPosition,
    is_valid_key,
    key_after,
    key_before,
    key_between,
    needs_rebalance,
    spread,
)

DIGITS = string.digits + string.ascii_uppercase + string.ascii_lowercase
SMALLEST_INTEGER = "A" + "0" * 26


def reference_between(before: str | None, after: str | None) -> str:
    key: str = fractional_indexing.generate_key_between(before, after)
    return key


def reference_accepts(text: str) -> bool:
    try:
        fractional_indexing.validate_order_key(text)
    except (fractional_indexing.FIError, IndexError):  # IndexError: the empty string
        return False
    return True


# Carries and borrows happen at 'z' and '0', and the head changes at 'a'/'z' and 'A'/'Z': drawn
# far more often than by chance.
digits = st.sampled_from("0z") | st.sampled_from(DIGITS)
heads = st.sampled_from("aAzZ") | st.sampled_from(string.ascii_letters)


def integer_length(head: str) -> int:
    return ord(head) - ord("a") + 2 if head.islower() else ord("Z") - ord(head) + 2


@st.composite
def integers(draw: st.DrawFn) -> str:
    """An integer part: its head, then as many digits as the head says, often all '0' or 'z'."""
    head = draw(heads)
    size = integer_length(head) - 1
    run = st.sampled_from("0z").map(lambda digit: digit * size)
    return head + draw(run | st.lists(digits, min_size=size, max_size=size).map("".join))


fractions = st.lists(digits, max_size=6).map(lambda drawn: "".join(drawn).rstrip("0"))
valid_keys = st.builds(str.__add__, integers(), fractions).filter(lambda key: key != SMALLEST_INTEGER)


@st.composite
def ordered_pairs(draw: st.DrawFn) -> tuple[str, str]:
    """Two different keys, lower first; often with one integer part, or one extending the other,
    where the key between them is a fraction."""
    low = draw(valid_keys)
    low_integer = low[: integer_length(low[0])]
    high = draw(
        valid_keys
        | fractions.map(lambda fraction: low_integer + fraction)
        | fractions.filter(bool).map(lambda fraction: low + fraction)
    )
    if high in (low, SMALLEST_INTEGER):
        high = reference_between(low, None)
    return min(low, high), max(low, high)


INVALID_KEYS = [
    "",  # empty
    "a",  # the integer part is cut short: 'a' takes one digit
    "zzz",  # 'z' takes 26
    "a00",  # a fraction ending in '0'
    "a1V0",
    "0a",  # not a head
    "a0!",  # not a base-62 digit
    "a0 ",
    "aé",
    SMALLEST_INTEGER,  # nothing could go before it
]


@given(pair=ordered_pairs())
@example(pair=("a0", "a1"))
@example(pair=("az", "b00"))
@example(pair=("Zz", "a0"))
@example(pair=("z" * 27, "z" * 27 + "V"))
@example(pair=("a0", "a0001"))
def test_key_between_two_keys_equals_the_reference(pair: tuple[str, str]) -> None:
    assert key_between(*pair) == reference_between(*pair)


@given(key=valid_keys)
@example(key="z" * 27)
@example(key="z" * 27 + "zy")
@example(key=SMALLEST_INTEGER + "1")
@example(key="a0")
def test_key_between_a_key_and_an_open_end_equals_the_reference(key: str) -> None:
    assert key_between(key, None) == reference_between(key, None)
    assert key_between(None, key) == reference_between(None, key)


def test_the_key_between_two_open_ends_is_the_first() -> None:
    assert key_between(None, None) == FIRST == reference_between(None, None) == "a0"


@given(pair=ordered_pairs())
def test_the_key_between_two_keys_is_a_valid_key_strictly_between_them(pair: tuple[str, str]) -> None:
    low, high = pair
    key = key_between(low, high)
    assert low < key < high
    assert is_valid_key(key)


@given(start=valid_keys, count=st.integers(min_value=1, max_value=100))
def test_appended_keys_increase(start: str, count: int) -> None:
    chain = [start]
    for _ in range(count):
        chain.append(key_after(chain[-1]))
    assert all(low < high for low, high in pairwise(chain))
    assert all(map(is_valid_key, chain))


@given(start=valid_keys, count=st.integers(min_value=1, max_value=100))
def test_prepended_keys_decrease(start: str, count: int) -> None:
    chain = [start]
    for _ in range(count):
        chain.append(key_before(chain[-1]))
    assert all(low > high for low, high in pairwise(chain))
    assert all(map(is_valid_key, chain))


@pytest.mark.parametrize("text", INVALID_KEYS)
def test_malformed_keys_are_refused(text: str) -> None:
    assert not is_valid_key(text)
    for arguments in ((text, None), (None, text), (text, "z" * 27), (FIRST, text)):
        with pytest.raises(InvalidPosition):
            key_between(*arguments)
    with pytest.raises(InvalidPosition):
        key_after(text)
    with pytest.raises(InvalidPosition):
        key_before(text)


@given(text=st.text(DIGITS, max_size=30))
@example(text=SMALLEST_INTEGER)
def test_over_base_62_digits_a_key_is_valid_exactly_when_the_reference_accepts_it(text: str) -> None:
    assert is_valid_key(text) == reference_accepts(text)


@given(key=valid_keys, character=st.characters().filter(lambda c: c not in DIGITS), at=st.integers(0, 30))
def test_a_character_outside_the_base_62_digits_invalidates_a_key(key: str, character: str, at: int) -> None:
    # The reference does not look at the characters after a key's head; keys here must be ASCII
    # for their byte order to be their str order.
    assert not is_valid_key(key[:at] + character + key[at:])


@given(pair=ordered_pairs())
def test_keys_in_decreasing_order_are_refused(pair: tuple[str, str]) -> None:
    low, high = pair
    with pytest.raises(InvalidPosition):
        key_between(high, low)


@given(key=valid_keys)
def test_a_key_and_itself_are_refused(key: str) -> None:
    with pytest.raises(InvalidPosition):
        key_between(key, key)


@pytest.mark.parametrize("count", [0, 1, 2, 61, 62, 63, 500])
def test_spread_gives_the_references_consecutive_integers(count: int) -> None:
    assert spread(count) == fractional_indexing.generate_n_keys_between(None, None, count)


def test_spread_keys_strictly_increase_and_stay_short() -> None:
    keys = spread(10_000)
    assert len(keys) == 10_000
    assert all(low < high for low, high in pairwise(keys))
    assert all(map(is_valid_key, keys))
    assert max(map(len, keys)) <= 4


def test_spread_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError, match="negative"):
        spread(-1)


def test_a_key_needs_a_rebalance_once_it_is_longer_than_the_rebalance_length() -> None:
    assert not needs_rebalance("a" + "V" * (REBALANCE_LENGTH - 1))
    assert needs_rebalance("a" + "V" * REBALANCE_LENGTH)


@dataclass(frozen=True)
class Moves:
    longest: int  # the longest key the siblings ever had
    rebalances: int


MOVES = 2_000
SIBLINGS = 20
LEFT = SIBLINGS // 2  # the fixed left neighbour's index


def move_into_one_gap(*, rebalance: bool) -> Moves:
    """`MOVES` times, the last sibling moves between the same left neighbour and the sibling moved
    just before it, the worst case: every key lands in one gap that keeps narrowing. With
    `rebalance`, a key that needs one is not kept: the siblings, in their new order, get `spread`'s
    keys instead, as a move does (domain/ordering.py)."""
    keys = spread(SIBLINGS)
    longest, rebalances = max(map(len, keys)), 0
    for _ in range(MOVES):
        keys.pop()
        key = key_between(keys[LEFT], keys[LEFT + 1])
        keys.insert(LEFT + 1, key)
        if rebalance and needs_rebalance(key):
            keys = spread(len(keys))
            rebalances += 1
        assert all(low < high for low, high in pairwise(keys))
        longest = max(longest, *map(len, keys))
    return Moves(longest, rebalances)


def test_rebalancing_keeps_keys_within_the_column_under_moves_into_one_gap(
    record_property: Callable[[str, object], None],
) -> None:
    moves = move_into_one_gap(rebalance=True)
    record_property("longest_key_with_rebalancing", moves.longest)
    assert moves.rebalances > 0
    assert moves.longest <= REBALANCE_LENGTH < POSITION_MAX_LENGTH


def test_without_rebalancing_keys_grow_past_the_column_under_moves_into_one_gap(
    record_property: Callable[[str, object], None],
) -> None:
    moves = move_into_one_gap(rebalance=False)
    record_property("longest_key_without_rebalancing", moves.longest)
    assert moves.longest > POSITION_MAX_LENGTH
