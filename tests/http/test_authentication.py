"""Authentication over HTTP: genuine Better Auth tokens pass, every attack gets a 401 with its reason."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from jose import jwt as jose_jwt
from litestar.testing import AsyncTestClient

from taskhub.entrypoints.app import create_app
from taskhub.entrypoints.container import Container
from taskhub.entrypoints.settings import Settings
from tests.http.conftest import SECRET, Client, token_for
from tests.support.jwks_server import JwksServer, jwks_server
from tests.support.keys import BETTER_AUTH_URL, KeyPair, better_auth_claims, generate
from tests.support.storage import use_memory

ALGORITHMS = ["EdDSA", "ES256", "ES512", "RS256", "PS256"]
KEYS = {algorithm: generate(algorithm) for algorithm in ALGORITHMS}


def build_app(database_url: str, jwks_url: str) -> Any:
    settings = Settings(
        database_url=database_url,
        auth_secret=SECRET,
        better_auth_url=BETTER_AUTH_URL,
        jwks_url=jwks_url,
    )
    container = Container(settings=settings)
    use_memory(container)
    return create_app(container)


@pytest.fixture
def server() -> Iterator[JwksServer]:
    with jwks_server() as server:
        server.keys = [pair.public_jwk() for pair in KEYS.values()]
        yield server


@pytest.fixture
async def client(database_url: str, server: JwksServer) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=build_app(database_url, server.url)) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("algorithm", ALGORITHMS)
async def test_a_better_auth_token_is_accepted_for_each_algorithm(client: Client, algorithm: str) -> None:
    token = KEYS[algorithm].sign(better_auth_claims(sub="ada"))
    created = await client.post("/api/tasks", json={"title": "t"}, headers=bearer(token))
    assert created.status_code == 201, created.text
    listed = await client.get("/api/tasks", headers=bearer(token))
    assert [t["id"] for t in listed.json()["items"]] == [created.json()["id"]]


async def test_a_shared_secret_token_is_accepted_next_to_jwks(client: Client) -> None:
    assert (await client.get("/api/tasks", headers=bearer(token_for("bob")))).status_code == 200


async def test_the_user_is_the_sub_claim(client: Client) -> None:
    mine = KEYS["EdDSA"].sign(better_auth_claims(sub="ada"))
    theirs = KEYS["ES256"].sign(better_auth_claims(sub="grace"))
    await client.post("/api/tasks", json={"title": "ada's"}, headers=bearer(mine))
    assert (await client.get("/api/tasks", headers=bearer(theirs))).json()["items"] == []


def forged(algorithm: str) -> KeyPair:
    """Another key of the same kind, pretending to be the served key."""
    return KeyPair(algorithm, generate(algorithm).private_key, kid=KEYS[algorithm].kid)


def hs256_with_public_key_bytes() -> str:
    rsa = KEYS["RS256"]
    pem = rsa.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = b64({"alg": "HS256", "kid": rsa.kid})
    payload = b64(better_auth_claims())
    import hashlib  # noqa: PLC0415
    import hmac  # noqa: PLC0415

    signature = hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def attacks() -> list[Any]:
    eddsa = KEYS["EdDSA"]
    now = int(time.time())
    cases: dict[str, tuple[dict[str, str], str]] = {
        "no header": ({}, "missing"),
        "wrong scheme": ({"Authorization": f"Basic {eddsa.sign(better_auth_claims())}"}, "malformed"),
        "empty token": ({"Authorization": "Bearer "}, "malformed"),
        "a token and more words": (
            {"Authorization": f"Bearer {eddsa.sign(better_auth_claims())} extra"},
            "malformed",
        ),
        "garbage": (bearer("not.a.jwt"), "malformed"),
        "alg none": (bearer(f"{b64({'alg': 'none'})}.{b64(better_auth_claims())}."), "bad signature"),
        "HS256 signed with a public key": (bearer(hs256_with_public_key_bytes()), "bad signature"),
        "RS256 by another key": (bearer(forged("RS256").sign(better_auth_claims())), "bad signature"),
        "PS256 by another key": (bearer(forged("PS256").sign(better_auth_claims())), "bad signature"),
        "ES256 by another key": (bearer(forged("ES256").sign(better_auth_claims())), "bad signature"),
        "EdDSA by another key": (bearer(forged("EdDSA").sign(better_auth_claims())), "bad signature"),
        "RS256 token under a PS256 key": (
            bearer(
                KeyPair("RS256", KEYS["PS256"].private_key, kid=KEYS["PS256"].kid).sign(better_auth_claims())
            ),
            "bad signature",
        ),
        "expired": (bearer(eddsa.sign(better_auth_claims(iat=now - 3600, exp=now - 1800))), "expired"),
        "nbf in the future": (bearer(eddsa.sign(better_auth_claims(nbf=now + 3600))), "not yet valid"),
        "iat in the future": (bearer(eddsa.sign(better_auth_claims(iat=now + 3600))), "not yet valid"),
        "wrong iss": (bearer(eddsa.sign(better_auth_claims(iss="https://evil.example"))), "wrong issuer"),
        "wrong aud": (bearer(eddsa.sign(better_auth_claims(aud="https://evil.example"))), "wrong audience"),
        "missing aud": (bearer(eddsa.sign(better_auth_claims(aud=None))), "invalid claims"),
        "missing sub": (bearer(eddsa.sign(better_auth_claims(sub=None))), "invalid claims"),
        "sub of 300 characters": (bearer(eddsa.sign(better_auth_claims(sub="x" * 300))), "invalid claims"),
        "sub of 10,000 characters": (bearer(eddsa.sign(better_auth_claims(sub="x" * 10_000))), "malformed"),
        "9 KiB token": (bearer(eddsa.sign(better_auth_claims(pad="x" * 9 * 1024))), "malformed"),
        "unknown kid": (
            bearer(KeyPair("EdDSA", eddsa.private_key, kid="unknown").sign(better_auth_claims())),
            "unknown key",
        ),
        "no kid": (
            bearer(jose_jwt.encode(better_auth_claims(), "x" * 32, algorithm="HS512")),
            "bad signature",
        ),
        "a critical header extension": (
            bearer(eddsa.sign(better_auth_claims(), crit=["exp"])),
            "malformed",
        ),
    }
    # Registered claims of the wrong JSON type: each a 401 naming why, never a 500.
    for claim, raw, reason in [
        ("exp", '"2100000000"', "invalid claims"),
        ("exp", "[2100000000]", "invalid claims"),
        ("exp", "null", "invalid claims"),
        ("exp", "true", "invalid claims"),
        ("exp", "1e400", "malformed"),
        ("nbf", '{"at": 1}', "invalid claims"),
        ("iat", '"yesterday"', "invalid claims"),
        ("sub", "42", "invalid claims"),
        ("iss", "42", "invalid claims"),
        ("aud", '{"aud": "x"}', "invalid claims"),
        ("jti", "[1]", "invalid claims"),
    ]:
        claims = better_auth_claims()
        claims.pop(claim, None)
        payload = json.dumps(claims)[:-1] + f', "{claim}": {raw}}}'
        cases[f"{claim} as {raw}"] = (bearer(eddsa.sign_payload(payload.encode())), reason)
    return [pytest.param(headers, reason, id=name) for name, (headers, reason) in cases.items()]


@pytest.mark.parametrize(("headers", "reason"), attacks())
async def test_each_attack_is_refused_with_401_and_its_reason(
    client: Client, headers: dict[str, str], reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="taskhub.http")
    response = await client.get("/api/tasks", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    challenge = response.headers["www-authenticate"]
    assert challenge == f'Bearer error="invalid_token", error_description="{reason}"'
    token = headers.get("Authorization", "").partition(" ")[2]
    if token:
        assert token not in response.text
        assert token not in caplog.text
    failure = next(r for r in caplog.records if r.getMessage() == "authentication failed")
    assert failure.reason == reason.replace(" ", "_")  # type: ignore[attr-defined]
    assert failure.request_id == response.headers["x-request-id"]  # type: ignore[attr-defined]


async def test_a_jwks_outage_with_no_cached_keys_is_401_unknown_key(database_url: str) -> None:
    with jwks_server() as down:
        url = down.url
    token = KEYS["EdDSA"].sign(better_auth_claims())
    async with AsyncTestClient(app=build_app(database_url, url)) as client:
        response = await client.get("/api/tasks", headers=bearer(token))
    assert response.status_code == 401
    assert 'error_description="unknown key"' in response.headers["www-authenticate"]


async def test_cached_keys_keep_working_when_the_jwks_goes_down(client: Client, server: JwksServer) -> None:
    token = KEYS["EdDSA"].sign(better_auth_claims())
    assert (await client.get("/api/tasks", headers=bearer(token))).status_code == 200
    server.status = 503
    assert (await client.get("/api/tasks", headers=bearer(token))).status_code == 200


async def test_public_routes_need_no_token(client: Client) -> None:
    assert (await client.get("/health/live")).status_code == 200
    assert (await client.get("/schema/openapi.json")).status_code == 200
