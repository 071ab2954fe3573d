"""The TokenVerifier contract: what every verifier accepts and refuses, and why.

Run once per key mode: the shared secret (HS256) and a JWKS (EdDSA, Better Auth's default).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import jwt as pyjwt
import pytest
from jose import jwt

from taskhub.adapters.jose_tokens import JoseTokenVerifier
from taskhub.ports.token_verifier import InvalidToken, TokenRejection, TokenVerifier
from tests.factories import FixedClock
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
def sign_payload(mode: str) -> Callable[[bytes], str]:
    def sign(payload: bytes) -> str:
        if mode == "jwks":
            return EDDSA.sign_payload(payload)
        return pyjwt.PyJWS().encode(payload, SECRET, algorithm="HS256")

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
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    strict = verifier(leeway_seconds=0, clock=clock)
    token = sign(valid_claims(exp=int(clock.now().timestamp()) + 2))
    assert await strict.verify(token) == "alice"
    clock.advance(1)
    assert await strict.verify(token) == "alice"  # from the cache
    clock.advance(1)
    assert await refused(strict, token) is TokenRejection.EXPIRED


async def test_the_leeway_also_bounds_a_cached_token(
    verifier: Callable[..., TokenVerifier], sign: Signer
) -> None:
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    lenient = verifier(leeway_seconds=30, clock=clock)
    token = sign(valid_claims(exp=int(clock.now().timestamp()) + 2))
    assert await lenient.verify(token) == "alice"
    clock.advance(31)
    assert await lenient.verify(token) == "alice"
    clock.advance(1)
    assert await refused(lenient, token) is TokenRejection.EXPIRED


async def test_a_refused_token_stays_refused(verifier: Callable[..., TokenVerifier], sign: Signer) -> None:
    strict = verifier()
    forged = sign(valid_claims(), forged=True)
    for _ in range(3):
        assert await refused(strict, forged) is TokenRejection.BAD_SIGNATURE


# --- every registered claim (RFC 7519 section 4.1) with every JSON type --------------------------

NOW = int(time.time())
ACCEPTED = None
INVALID = TokenRejection.INVALID_CLAIMS
# Each claim with a value of each JSON type, as raw JSON text, and what the verifier must make of
# it: accepted, or refused for that reason. A token's content is never a 500.
CLAIM_TYPES = [
    *(
        (claim, raw, INVALID)
        for claim in ("exp", "nbf", "iat")
        for raw in ('"1700000000"', '""', "true", "false", "null", "[1700000000]", '{"t": 1700000000}')
    ),
    ("exp", str(NOW + 300), ACCEPTED),
    ("exp", f"{NOW + 300}.5", ACCEPTED),
    ("exp", "1e400", TokenRejection.MALFORMED),
    ("exp", "-1e400", TokenRejection.MALFORMED),
    ("exp", "9" * 40, ACCEPTED),
    ("exp", "0", TokenRejection.EXPIRED),
    ("exp", "-5", TokenRejection.EXPIRED),
    ("nbf", str(NOW - 60), ACCEPTED),
    ("nbf", f"{NOW - 60}.25", ACCEPTED),
    ("nbf", "1e400", TokenRejection.MALFORMED),
    ("nbf", str(NOW + 600), TokenRejection.NOT_YET_VALID),
    ("iat", str(NOW - 60), ACCEPTED),
    ("iat", f"{NOW}.75", ACCEPTED),
    ("iat", "1e400", TokenRejection.MALFORMED),
    ("iat", str(NOW + 600), TokenRejection.NOT_YET_VALID),
    *(
        (claim, raw, INVALID)
        for claim in ("iss", "sub", "jti")
        for raw in ("42", "4.2", "true", "false", "null", '["alice"]', '{"name": "alice"}')
    ),
    ("iss", '"https://anyone.example.com"', ACCEPTED),
    ("iss", '""', ACCEPTED),
    ("jti", '"a1b2"', ACCEPTED),
    ("sub", '"bob"', ACCEPTED),
    ("sub", '""', INVALID),
    ("sub", '"' + "x" * 256 + '"', INVALID),
    ("sub", '"a\\u0000b"', INVALID),
    ("aud", '"https://app.example.com"', ACCEPTED),
    ("aud", '["https://app.example.com", "other"]', ACCEPTED),
    ("aud", "[]", ACCEPTED),
    *(
        ("aud", raw, INVALID)
        for raw in ("42", "4.2", "true", "false", "null", '["ok", 1]', '[["nested"]]', '{"aud": "x"}')
    ),
]


def payload_with(claim: str, raw: str) -> bytes:
    claims = {"sub": "alice", "iat": NOW, "exp": NOW + 300}
    claims.pop(claim, None)
    body = json.dumps(claims)[1:-1]
    return f'{{{body}, "{claim}": {raw}}}'.encode()


@pytest.mark.parametrize(
    ("claim", "raw", "outcome"), CLAIM_TYPES, ids=[f"{c}={r[:24]}" for c, r, _ in CLAIM_TYPES]
)
async def test_each_registered_claim_of_each_json_type_is_accepted_or_refused_with_its_reason(
    verifier: Callable[..., TokenVerifier],
    sign_payload: Callable[[bytes], str],
    claim: str,
    raw: str,
    outcome: TokenRejection | None,
) -> None:
    token = sign_payload(payload_with(claim, raw))
    expected_subject = "bob" if (claim, raw) == ("sub", '"bob"') else "alice"
    if outcome is ACCEPTED:
        assert await verifier(leeway_seconds=0).verify(token) == expected_subject
    else:
        assert await refused(verifier(leeway_seconds=0), token) is outcome


@pytest.mark.parametrize(
    ("claim", "raw", "outcome"),
    [
        ("iss", f'"{ISSUER}"', ACCEPTED),
        ("iss", '"https://evil.example.com"', TokenRejection.WRONG_ISSUER),
        ("iss", "42", INVALID),
        ("iss", "null", INVALID),
        ("aud", f'"{ISSUER}"', ACCEPTED),
        ("aud", f'["other", "{ISSUER}"]', ACCEPTED),
        ("aud", '["other"]', TokenRejection.WRONG_AUDIENCE),
        ("aud", "[]", TokenRejection.WRONG_AUDIENCE),
        ("aud", f'{{"aud": "{ISSUER}"}}', INVALID),
        ("aud", "7", INVALID),
    ],
)
async def test_a_configured_issuer_and_audience_take_only_their_exact_type_and_value(
    verifier: Callable[..., TokenVerifier],
    sign_payload: Callable[[bytes], str],
    claim: str,
    raw: str,
    outcome: TokenRejection | None,
) -> None:
    others = f'"iss": "{ISSUER}", "aud": "{ISSUER}", ' if claim == "aud" else f'"aud": "{ISSUER}", '
    if claim == "iss":
        others = f'"aud": "{ISSUER}", '
    payload = f'{{{others}"sub": "alice", "exp": {NOW + 300}, "{claim}": {raw}}}'.encode()
    strict = verifier(issuer=ISSUER, audience=ISSUER)
    if outcome is ACCEPTED:
        assert await strict.verify(sign_payload(payload)) == "alice"
    else:
        assert await refused(strict, sign_payload(payload)) is outcome


@pytest.mark.parametrize(
    "payload",
    [b"[]", b'"alice"', b"42", b"null", b"not json", b"", b'{"sub": "alice", "exp": NaN}', b"\xff\xfe"],
)
async def test_a_signed_payload_that_is_not_a_json_object_is_malformed(
    verifier: Callable[..., TokenVerifier], sign_payload: Callable[[bytes], str], payload: bytes
) -> None:
    assert await refused(verifier(), sign_payload(payload)) is TokenRejection.MALFORMED
