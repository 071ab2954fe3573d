"""Position keys for a manual order: fractional indexing (David Greenspan, "Implementing
Fractional Indexing").

A key orders an object among its siblings when keys are compared byte-wise (Python's str order
on ASCII; `COLLATE "C"` in PostgreSQL). There is always a key between two others, so a move
writes one row, the moved object's, and never renumbers its siblings. The price is that keys
grow when moves keep landing in the same gap: a generated key longer than `REBALANCE_LENGTH`
makes the caller give the whole sibling set fresh, short keys (`spread`) in the same transaction,
well before a key would reach the column's `POSITION_MAX_LENGTH`.

A key is an integer part then a fraction, both in base-62 digits `0-9A-Za-z` (ASCII order, so
byte order is numeric order). The integer part's head tells its length, 'a'..'z' 2..27
characters for 0 and up, 'A'..'Z' 27..2 for negatives, so a longer integer sorts after (or, for
negatives, before) every shorter one. The fraction has no trailing '0', so each key is the only
spelling of its value. New objects go last with `key_after`, consecutive integers from `FIRST`:
appends keep keys short. PostgreSQL has `key_after` in PL/pgSQL, for an INSERT that places a new
task in the statement itself (adapters/postgres/position_sql.py); the two must stay equal.
"""

from __future__ import annotations

from typing import Final

POSITION_MAX_LENGTH: Final = 64
# Under the column size with room to spare: keys are checked when a move generates them, and the
# room covers a key the store derives from a stored one without that check (`key_after` in SQL,
# which lengthens a key only past the largest integer).
REBALANCE_LENGTH: Final = 48
# The key of the first object in an empty set: the integer 0.
FIRST: Final = "a0"

_DIGITS: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

_BASE: Final = len(_DIGITS)
_VALUES: Final = {digit: value for value, digit in enumerate(_DIGITS)}
_ZERO: Final = _DIGITS[0]
_LAST_DIGIT: Final = _DIGITS[-1]
# The most negative integer: nothing could go before it, so a key may not be it alone.
_SMALLEST_INTEGER: Final = "A" + _ZERO * 26


class InvalidPosition(ValueError):
    """A malformed position key, or two keys that are not in increasing order."""


def is_valid_key(text: str) -> bool:
    """Whether `text` is a key: base-62 digits, a whole integer part, no trailing '0' in the
    fraction. The column's length limit is checked where keys are stored, not here."""
    try:
        _split(text)
    except InvalidPosition:
        return False
    return True


def key_between(before: str | None, after: str | None) -> str:
    """A key strictly between `before` and `after` (None: that end is open), as short as the
    scheme makes it. InvalidPosition when either is not a key or `before` is not below `after`."""
    if before is None:
        return FIRST if after is None else _key_before(after)
    if after is None:
        return _key_after(before)
    low_integer, low_fraction = _split(before)
    high_integer, high_fraction = _split(after)
    if before >= after:
        raise InvalidPosition(f"{before!r} is not below {after!r}")
    if low_integer == high_integer:
        return low_integer + _midpoint(low_fraction, high_fraction)
    # A whole integer is the shortest key, when there is one in the gap.
    larger = _increment(low_integer)
    if larger is not None and larger < after:
        return larger
    return low_integer + _midpoint(low_fraction, None)


def key_after(last: str | None) -> str:
    """The key for an object appended after `last` (None: the set is empty)."""
    return key_between(last, None)


def key_before(first: str | None) -> str:
    """The key for an object put before `first` (None: the set is empty)."""
    return key_between(None, first)


def spread(count: int) -> list[str]:
    """`count` increasing keys for a rebalanced sibling set: consecutive integers from FIRST, so
    every gap is as wide and the keys as short as they can be (3 characters up to 3,906 keys, 4
    up to 242,234)."""
    if count < 0:
        raise ValueError(f"a negative count of keys: {count}")
    keys: list[str] = []
    key = FIRST
    for _ in range(count):
        keys.append(key)
        key = key_after(key)
    return keys


def needs_rebalance(key: str) -> bool:
    """Whether a generated key is too long to keep: its sibling set gets fresh keys instead."""
    return len(key) > REBALANCE_LENGTH


def _integer_length(head: str) -> int:
    if "a" <= head <= "z":
        return ord(head) - ord("a") + 2
    if "A" <= head <= "Z":
        return ord("Z") - ord(head) + 2
    raise InvalidPosition(f"a key starts with a letter, not {head!r}")


def _split(key: str) -> tuple[str, str]:
    """The integer part and the fraction of a key; InvalidPosition when it is not one."""
    if not key:
        raise InvalidPosition("an empty key")
    if any(character not in _VALUES for character in key):
        raise InvalidPosition(f"a key is base-62 digits only: {key!r}")
    length = _integer_length(key[0])
    integer, fraction = key[:length], key[length:]
    if len(integer) < length:
        raise InvalidPosition(f"the integer part of {key!r} is {length} characters long")
    if fraction.endswith(_ZERO):
        raise InvalidPosition(f"the fraction of {key!r} ends with {_ZERO!r}")
    if key == _SMALLEST_INTEGER:
        raise InvalidPosition(f"{key!r} is the smallest integer, with nothing before it")
    return integer, fraction


def _key_after(before: str) -> str:
    integer, fraction = _split(before)
    larger = _increment(integer)
    # Past the largest integer only the fraction can grow.
    return integer + _midpoint(fraction, None) if larger is None else larger


def _key_before(after: str) -> str:
    integer, fraction = _split(after)
    if integer == _SMALLEST_INTEGER:  # with a fraction: _split refuses it alone
        return integer + _midpoint("", fraction)
    if fraction:
        return integer
    smaller = _decrement(integer)
    if smaller is None:  # only the smallest integer has no predecessor, handled above
        raise InvalidPosition(f"no key before {after!r}")
    return smaller


def _increment(integer: str) -> str | None:
    """The next integer, None after the largest one."""
    head, digits = integer[0], list(integer[1:])
    for index in reversed(range(len(digits))):
        if digits[index] != _LAST_DIGIT:
            digits[index] = _DIGITS[_VALUES[digits[index]] + 1]
            return head + "".join(digits)
        digits[index] = _ZERO
    # Every digit carried: the next integer is one character longer (positive) or shorter
    # (negative), or crosses from -1 to 0.
    if head == "Z":
        return "a" + _ZERO
    if head == "z":
        return None
    head = chr(ord(head) + 1)
    size = len(digits) + 1 if head > "a" else len(digits) - 1
    return head + _ZERO * size


def _decrement(integer: str) -> str | None:
    """The previous integer, None before the smallest one."""
    head, digits = integer[0], list(integer[1:])
    for index in reversed(range(len(digits))):
        if digits[index] != _ZERO:
            digits[index] = _DIGITS[_VALUES[digits[index]] - 1]
            return head + "".join(digits)
        digits[index] = _LAST_DIGIT
    if head == "a":
        return "Z" + _LAST_DIGIT
    if head == "A":
        return None
    head = chr(ord(head) - 1)
    size = len(digits) + 1 if head < "Z" else len(digits) - 1
    return head + _LAST_DIGIT * size


def _midpoint(low: str, high: str | None) -> str:
    """A fraction strictly between the fractions `low` and `high` (None: 1, the open end),
    short: their common prefix and one digit halfway, when the first differing digits leave room.
    `low` < `high`, neither ends with '0'."""
    prefix = ""
    while True:
        if high is not None:
            # Digits both share stay; `low` reads as '0's past its end.
            common = 0
            while common < len(high) and (low[common : common + 1] or _ZERO) == high[common]:
                common += 1
            prefix, low, high = prefix + high[:common], low[common:], high[common:]
        low_digit = _VALUES[low[0]] if low else 0
        high_digit = _VALUES[high[0]] if high is not None else _BASE
        if high_digit - low_digit > 1:
            return prefix + _DIGITS[(low_digit + high_digit + 1) // 2]
        if high is not None and len(high) > 1:
            # `high` cut after its first digit is still above `low` and below `high`.
            return prefix + high[0]
        # Adjacent digits: keep `low`'s and look for room after it, now below the open end.
        prefix, low, high = prefix + _DIGITS[low_digit], low[1:], None
