"""PostgreSQL-only behaviour of the idempotency claim: it spans transactions and instances."""

from __future__ import annotations

import pytest

from tests.conftest import Storage
from tests.factories import user

pytestmark = pytest.mark.postgres


async def test_a_claimed_key_cannot_be_claimed_by_another_transaction(postgres_storage: Storage) -> None:
    owner = user()
    async with postgres_storage.uow() as first, postgres_storage.uow() as second:
        assert (await first.idempotency.claim(owner, "k")).held is True
        assert (await second.idempotency.claim(owner, "k")).held is False
        assert (await second.idempotency.claim(owner, "other-key")).held is True
        assert (await second.idempotency.claim(user(), "k")).held is True


async def test_the_claim_ends_with_its_transaction(postgres_storage: Storage) -> None:
    owner = user()
    async with postgres_storage.uow() as first:
        assert (await first.idempotency.claim(owner, "k")).held is True
    async with postgres_storage.uow() as second:
        assert (await second.idempotency.claim(owner, "k")).held is True
