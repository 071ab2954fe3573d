"""PostgreSQL-only behaviour of the idempotency claim: it spans transactions and instances."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from taskhub.ports.unit_of_work import UnitOfWork
from tests.factories import user

pytestmark = pytest.mark.postgres


async def test_a_claimed_key_cannot_be_claimed_by_another_transaction(
    postgres_uow: Callable[[], UnitOfWork],
) -> None:
    owner = user()
    async with postgres_uow() as first, postgres_uow() as second:
        assert await first.idempotency.claim(owner, "k") is True
        assert await second.idempotency.claim(owner, "k") is False
        assert await second.idempotency.claim(owner, "other-key") is True
        assert await second.idempotency.claim(user(), "k") is True


async def test_the_claim_ends_with_its_transaction(postgres_uow: Callable[[], UnitOfWork]) -> None:
    owner = user()
    async with postgres_uow() as first:
        assert await first.idempotency.claim(owner, "k") is True
    async with postgres_uow() as second:
        assert await second.idempotency.claim(owner, "k") is True
