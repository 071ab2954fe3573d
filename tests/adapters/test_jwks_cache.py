"""The JWKS cache against a real local HTTP endpoint: caching, refresh limits, outages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from taskhub.adapters.jwks import JwksCache
from tests.support.jwks_server import JwksServer, jwks_server
from tests.support.keys import generate


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server() -> Iterator[JwksServer]:
    with jwks_server() as server:
        yield server


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def cache(server: JwksServer, clock: ManualClock) -> AsyncIterator[JwksCache]:
    cache = JwksCache(server.url, ttl_seconds=300, min_refresh_interval_seconds=30, clock=clock)
    yield cache
    await cache.close()


async def test_keys_are_fetched_once_and_served_from_the_cache(server: JwksServer, cache: JwksCache) -> None:
    key = generate("EdDSA").public_jwk()
    server.keys = [key]
    for _ in range(5):
        assert await cache.key(key["kid"]) == key
    assert server.hits == 1


async def test_an_unknown_kid_refetches_at_most_once_per_interval(
    server: JwksServer, cache: JwksCache, clock: ManualClock
) -> None:
    server.keys = [generate("EdDSA").public_jwk()]
    await cache.refresh()
    for i in range(20):
        assert await cache.key(f"forged-{i}") is None
    assert server.hits == 1

    clock.now += 31
    assert await cache.key("forged-again") is None
    assert server.hits == 2


async def test_a_rotated_key_is_found_by_the_refetch_its_kid_triggers(
    server: JwksServer, cache: JwksCache, clock: ManualClock
) -> None:
    old, new = generate("EdDSA").public_jwk(), generate("EdDSA").public_jwk()
    server.keys = [old]
    await cache.refresh()
    server.keys = [old, new]
    clock.now += 31
    assert await cache.key(new["kid"]) == new


async def test_keys_are_refreshed_after_the_ttl(
    server: JwksServer, cache: JwksCache, clock: ManualClock
) -> None:
    key = generate("ES256").public_jwk()
    server.keys = [key]
    await cache.key(key["kid"])
    clock.now += 301
    await cache.key(key["kid"])
    assert server.hits == 2


@pytest.mark.parametrize("status", [500, 503, 404])
async def test_an_outage_leaves_cached_keys_working(
    server: JwksServer, cache: JwksCache, clock: ManualClock, status: int
) -> None:
    key = generate("RS256").public_jwk()
    server.keys = [key]
    await cache.key(key["kid"])
    server.status = status
    clock.now += 301
    assert await cache.key(key["kid"]) == key


async def test_an_unreachable_endpoint_means_no_keys_not_an_error(clock: ManualClock) -> None:
    with jwks_server() as server:
        url = server.url
    cache = JwksCache(url, timeout_seconds=0.5, clock=clock)
    try:
        assert await cache.key("any") is None
    finally:
        await cache.close()


async def test_symmetric_and_encryption_keys_are_never_taken_from_a_jwks(
    server: JwksServer, cache: JwksCache
) -> None:
    good = generate("EdDSA").public_jwk()
    server.keys = [
        good,
        {"kty": "oct", "kid": "shared", "k": "c2VjcmV0", "alg": "HS256"},
        {**generate("RS256").public_jwk(), "kid": "enc", "use": "enc"},
        {"kty": "EC", "crv": "P-256"},
    ]
    assert await cache.key(good["kid"]) == good
    assert await cache.key("shared") is None
    assert await cache.key("enc") is None
