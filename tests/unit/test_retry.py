"""Transient storage failures are retried, a bounded number of times, only when safe."""

from __future__ import annotations

import asyncio
import time
from types import TracebackType
from typing import Self

import pytest

from taskhub.adapters.memory import InMemoryStore, InMemoryTaskReader, InMemoryUnitOfWork
from taskhub.adapters.system import TimeOrderedIdGenerator
from taskhub.application.retry import RetryPolicy
from taskhub.application.tasks import TaskService
from taskhub.domain.model import TaskPatch
from taskhub.ports.repositories import StorageUnavailable
from tests.factories import FixedClock, user

FAST = RetryPolicy(attempts=3, base_delay_seconds=0.001, max_delay_seconds=0.002)


class FlakyUnitOfWork(InMemoryUnitOfWork):
    """Fails the first `failures` units of work the way a dropped connection would."""

    def __init__(self, store: InMemoryStore, plan: list[StorageUnavailable]) -> None:
        super().__init__(store)
        self._plan = plan

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        if self._plan:
            failure = self._plan.pop(0)
            await super().__aexit__(None, None, None)
            raise failure
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await super().__aexit__(exc_type, exc, tb)


def service_failing(*failures: StorageUnavailable) -> tuple[TaskService, InMemoryStore]:
    store = InMemoryStore()
    plan = list(failures)
    service = TaskService(
        lambda: FlakyUnitOfWork(store, plan),
        InMemoryTaskReader(store),
        FixedClock(),
        TimeOrderedIdGenerator(),
        retry_policy=FAST,
    )
    return service, store


def transient() -> StorageUnavailable:
    return StorageUnavailable("connection reset", retryable=True)


async def test_a_transient_failure_is_retried_and_the_write_happens_once() -> None:
    service, store = service_failing(transient(), transient())
    await service.create(user(), TaskPatch.of(title="t"))
    assert len(store.state.tasks) == 1


async def test_retries_are_bounded() -> None:
    service, store = service_failing(transient(), transient(), transient())
    with pytest.raises(StorageUnavailable):
        await service.create(user(), TaskPatch.of(title="t"))
    assert store.state.tasks == {}


async def test_a_failure_that_is_not_safe_to_retry_is_reported_at_once() -> None:
    ambiguous = StorageUnavailable("lost during commit", retryable=False)
    service, _ = service_failing(ambiguous)
    with pytest.raises(StorageUnavailable) as exc:
        await service.create(user(), TaskPatch.of(title="t"))
    assert exc.value is ambiguous


def test_backoff_is_jittered_and_capped() -> None:
    policy = RetryPolicy(attempts=5, base_delay_seconds=0.1, max_delay_seconds=0.3)
    delays = [policy.delay(attempt) for attempt in range(1, 6) for _ in range(50)]
    assert all(0 <= d <= 0.3 for d in delays)
    assert len(set(delays)) > 1


# The deadline is measured in wall-clock time because it is what a client is promised; 0.2 s keeps
# these tests short, and the bounds leave room for a busy machine.


async def test_a_use_case_that_hangs_is_abandoned_at_the_deadline() -> None:
    policy = RetryPolicy(deadline_seconds=0.2)
    hung = asyncio.Event()

    async def wait_forever() -> None:
        await hung.wait()

    started = time.monotonic()
    with pytest.raises(StorageUnavailable) as exc:
        await policy.run(wait_forever)
    assert 0.15 <= time.monotonic() - started < 1.0
    assert exc.value.retryable is False


class SteadyBackoff(RetryPolicy):
    def delay(self, attempt: int) -> float:
        return 0.15


async def test_no_retry_starts_whose_backoff_would_end_past_the_deadline() -> None:
    policy = SteadyBackoff(attempts=10, deadline_seconds=0.2)
    calls = 0

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        raise transient()

    started = time.monotonic()
    with pytest.raises(StorageUnavailable):
        await policy.run(flaky)
    assert time.monotonic() - started < 0.2
    assert calls == 2  # at 0 s, at 0.15 s; a third would start at 0.3 s
