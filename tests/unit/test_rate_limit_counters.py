"""The in-process rate-limit counters: one count per identity and window, bounded memory."""

from __future__ import annotations

from taskhub.entrypoints.http.rate_limit import InProcessCounters


async def test_each_hit_in_a_window_adds_one() -> None:
    counters = InProcessCounters()
    assert [await counters.increment("user/a", 7) for _ in range(3)] == [1, 2, 3]


async def test_identities_count_apart() -> None:
    counters = InProcessCounters()
    await counters.increment("user/a", 7)
    assert await counters.increment("user/b", 7) == 1


async def test_a_new_window_starts_from_zero_and_forgets_the_old_one() -> None:
    counters = InProcessCounters()
    for _ in range(5):
        await counters.increment("user/a", 7)
    assert await counters.increment("user/a", 8) == 1
    assert await counters.increment("user/b", 8) == 1


async def test_past_its_capacity_new_identities_pass_uncounted_and_known_ones_keep_counting() -> None:
    counters = InProcessCounters(capacity=2)
    await counters.increment("user/a", 7)
    await counters.increment("user/b", 7)
    assert [await counters.increment("user/c", 7) for _ in range(3)] == [1, 1, 1]
    assert await counters.increment("user/a", 7) == 2
