"""Task ids are UUIDv7 (RFC 9562): time-ordered, random enough, and valid UUIDs of version 7."""

from __future__ import annotations

import uuid

from taskhub.adapters.system import TimeOrderedIdGenerator, uuid7


def test_an_id_is_a_version_7_rfc_uuid() -> None:
    made = TimeOrderedIdGenerator().new_task_id()
    assert (made.version, made.variant) == (7, uuid.RFC_4122)


def test_an_id_carries_its_millisecond_in_its_first_48_bits() -> None:
    at = 1_780_000_000_123
    assert uuid7(at).int >> 80 == at


def test_ids_made_in_later_milliseconds_sort_later() -> None:
    ids = [uuid7(1_780_000_000_000 + ms) for ms in range(100)]
    assert ids == sorted(ids)
    assert [str(i) for i in ids] == sorted(str(i) for i in ids)


def test_ids_made_in_the_same_millisecond_differ() -> None:
    assert len({uuid7(1_780_000_000_000) for _ in range(10_000)}) == 10_000
