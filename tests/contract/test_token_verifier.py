"""The TokenVerifier contract: what every verifier accepts and refuses, and why.

Run once per key mode: the shared secret (HS256) and a JWKS (EdDSA, Better Auth's default).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from jose import jwt

from taskhub.adapters.jose_tokens import JoseTokenVerifier
from taskhub.ports.token_verifier import InvalidToken, TokenRejection, TokenVerifier
from tests.support.keys import KeyPair, generate

SECRET = "contract-secret-0123456789abcdef0123456789"
ISSUER = "https://auth.example.com"
EDDSA = generate("EdDSA")
# Another Ed25519 key that claims to be EDDSA's kid.
FORGER = KeyPair("EdDSA", generate("EdDSA").private_key, kid=EDDSA.kid)


class StaticKeys:
    def __init__(self, *pairs: KeyPair) -> None:
        self._keys = {pair.kid: pair.public_jwk() for pair in pairs}

    async def key(self, kid: str) -> dict[str, Any] | None:
        return self._keys.get(kid)


Signer = Callable[..., str]


@pytest.fixture(params=["shared-secret", "jwks"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sign(mode: str) -> Signer:
    def sign(claims: dict[str, Any], *, forged: bool = False) -> str:
        """Signed with the mode's key, or (forged) with another key under the same name."""
        if mode == "jwks":
            return (FORGER if forged else EDDSA).sign(claims)
        return jwt.encode(
            claims, "another-secret-0123456789abcdef0123" if forged else SECRET, algorithm="HS256"
        )

    return sign


@pytest.fixture
def verifier(mode: str) -> Callable[..., TokenVerifier]:
    def build(**options: Any) -> TokenVerifier:
        if mode == "jwks":
            return JoseTokenVerifier(jwks=StaticKeys(EDDSA), **options)
        return JoseTokenVerifier(SECRET, **options)

    return build


def valid_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "alice", "iat": now, "exp": now + 300, **overrides}


async def refused(verifier: TokenVerifier, token: str) -> TokenRejection:
    with pytest.raises(InvalidToken) as exc:
        await verifier.verify(token)
    if token:
        assert token not in str(exc.value)
    return exc.value.reason


async def test_a_valid_token_gives_its_subject(verifier: Callable[..., TokenVerifier], sign: Signer) -> None:
    assert await verifier().verify(sign(valid_claims())) == "alice"


async def test_an_empty_token_is_missing(verifier: Callable[..., TokenVerifier], sign: Signer) -> None:
    assert await refused(verifier(), "") is TokenRejection.MISSING


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 100, "e30.e30.e30"])
async def test_garbage_is_malformed(verifier: Callable[..., TokenVerifier], sign: Signer, token: str) -> None:
    assert await refused(verifier(), token) is TokenRejection.MALFORMED


async def test_a_token_over_8_kib_is_refused_before_parsing(
    verifier: Callable[..., TokenVerifier], sign: Signer
) -> None:
    token = sign(valid_claims(pad="x" * 9000))
    assert await refused(verifier(), token) is TokenRejection.MALFORMED


async def test_an_expired_token_is_refused(verifier: Callable[..., TokenVerifier], sign: Signer) -> None:
    now = int(time.time())
    token = sign(valid_claims(iat=now - 600, exp=now - 120))
    assert await refused(verifier(), token) is TokenRejection.EXPIRED


async def test_expiry_within_the_leeway_is_accepted(
    verifier: Callable[..., TokenVerifier], sign: Signer
) -> None:
    now = int(time.time())
    assert await verifier(leeway_seconds=30).verify(sign(valid_claims(exp=now - 5))) == "alice"


async def test_a_token_without_exp_is_refused(verifier: Callable[..., TokenVerifier], sign: Signer) -> None:
    claims = valid_claims()
    del claims["exp"]
    assert await refused(verifier(), sign(claims)) is TokenRejection.INVALID_CLAIMS


async def test_a_token_not_yet_valid_is_refused(verifier: Callable[..., TokenVerifier], sign: Signer) -> None:
    token = sign(valid_claims(nbf=int(time.time()) + 600))
    assert await refused(verifier(), token) is TokenRejection.NOT_YET_VALID


async def test_a_token_signed_with_another_secret_has_a_bad_signature(
    verifier: Callable[..., TokenVerifier], sign: Signer
) -> None:
    assert await refused(verifier(), sign(valid_claims(), forged=True)) is TokenRejection.BAD_SIGNATURE


async def test_alg_none_is_never_accepted(verifier: Callable[..., TokenVerifier], sign: Signer) -> None:
    payload = sign(valid_claims()).split(".")[1]
    unsigned = f"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}."
    assert await refused(verifier(), unsigned) is TokenRejection.BAD_SIGNATURE


@pytest.mark.parametrize("sub", [None, "", 42, "x" * 256])
async def test_a_missing_empty_or_oversized_subject_is_refused(
    verifier: Callable[..., TokenVerifier], sign: Signer, sub: Any
) -> None:
    claims = valid_claims(sub=sub)
    if sub is None:
        del claims["sub"]
    assert await refused(verifier(), sign(claims)) is TokenRejection.INVALID_CLAIMS


async def test_the_issuer_is_checked_when_configured(
    verifier: Callable[..., TokenVerifier], sign: Signer
) -> None:
    strict = verifier(issuer=ISSUER)
    assert await strict.verify(sign(valid_claims(iss=ISSUER))) == "alice"
    assert (
        await refused(strict, sign(valid_claims(iss="https://evil.example.com")))
        is TokenRejection.WRONG_ISSUER
    )


async def test_the_audience_is_required_and_checked_when_configured(
    verifier: Callable[..., TokenVerifier], sign: Signer
) -> None:
    strict = verifier(audience=ISSUER)
    assert await strict.verify(sign(valid_claims(aud=ISSUER))) == "alice"
    assert await refused(strict, sign(valid_claims(aud="someone-else"))) is TokenRejection.WRONG_AUDIENCE
    assert await refused(strict, sign(valid_claims())) is TokenRejection.INVALID_CLAIMS


def test_a_secret_shorter_than_32_bytes_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        JoseTokenVerifier("short")


async def test_a_verified_token_is_not_accepted_beyond_its_expiry(
    verifier: Callable[..., TokenVerifier], sign: Signer
) -> None:
    import asyncio  # noqa: PLC0415

    strict = verifier(leeway_seconds=0)
    token = sign(valid_claims(exp=int(time.time()) + 2))
    assert await strict.verify(token) == "alice"
    assert await strict.verify(token) == "alice"  # from the cache
    await asyncio.sleep(3.1)
    assert await refused(strict, token) is TokenRejection.EXPIRED


async def test_a_refused_token_stays_refused(verifier: Callable[..., TokenVerifier], sign: Signer) -> None:
    strict = verifier()
    forged = sign(valid_claims(), forged=True)
    for _ in range(3):
        assert await refused(strict, forged) is TokenRejection.BAD_SIGNATURE
