"""Bearer tokens with python-jose: verifying Better Auth tokens, and minting development tokens.

Two key sources, either or both:
- shared secret: HS256 tokens a front end mints with BETTER_AUTH_SECRET;
- JWKS: tokens Better Auth's `jwt` plugin signs (EdDSA by default; ES256, ES512, RS256, PS256).

The algorithm is pinned by the key, never chosen by the token (RFC 8725 section 3.1): HS256 is
only ever checked against the shared secret, an asymmetric algorithm only against a JWKS key
whose `alg` (or key type) matches it, and `none` never.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from datetime import timedelta
from typing import Any, Final, Protocol

from jose import jwt
from jose.exceptions import ExpiredSignatureError, JWTClaimsError, JWTError

from taskhub.adapters import jose_algorithms
from taskhub.domain.model import UserId, is_valid_user_id
from taskhub.ports.token_verifier import InvalidToken, TokenRejection

jose_algorithms.register()

# A bearer token past this size is refused before any parsing (API.md, Authentication).
MAX_TOKEN_BYTES: Final = 8 * 1024
SHARED_SECRET_ALGORITHM: Final = "HS256"  # noqa: S105 - an algorithm name, not a secret
MIN_SECRET_BYTES: Final = 32

# What each asymmetric algorithm needs the JWK to be, when the JWK does not name its `alg`.
_KEY_SHAPES: Final[dict[str, tuple[str, str | None]]] = {
    "EdDSA": ("OKP", "Ed25519"),
    "ES256": ("EC", "P-256"),
    "ES512": ("EC", "P-521"),
    "RS256": ("RSA", None),
    "PS256": ("RSA", None),
}
ASYMMETRIC_ALGORITHMS: Final = frozenset(_KEY_SHAPES)

_CLAIM_REJECTIONS: Final = (
    ("issuer", TokenRejection.WRONG_ISSUER),
    ("audience", TokenRejection.WRONG_AUDIENCE),
    ("not yet valid", TokenRejection.NOT_YET_VALID),
    ("issued at", TokenRejection.NOT_YET_VALID),
)


class KeySource(Protocol):
    async def key(self, kid: str) -> dict[str, Any] | None: ...


class JoseTokenVerifier:
    def __init__(
        self,
        secret: str | None = None,
        *,
        jwks: KeySource | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        jwks_issuer: str | None = None,
        jwks_audience: str | None = None,
        leeway_seconds: int = 30,
        cache_size: int = 10_000,
    ) -> None:
        """`issuer`/`audience` apply to every token; `jwks_*` (default: the same) to JWKS tokens."""
        if secret is None and jwks is None:
            raise ValueError("configure a shared secret, a JWKS, or both")
        if secret is not None and len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"the shared secret must be at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self._jwks = jwks
        self._leeway = leeway_seconds
        self._shared_checks = (issuer, audience)
        self._jwks_checks = (jwks_issuer or issuer, jwks_audience or audience)
        # Verified tokens, until their `exp` and never beyond: signature checks cost far more than
        # the rest of a request, and a client sends the same token many times.
        self._verified: OrderedDict[str, tuple[UserId, float]] = OrderedDict()
        self._cache_size = cache_size

    async def verify(self, token: str) -> UserId:
        if not token:
            raise InvalidToken(TokenRejection.MISSING)
        if len(token.encode()) > MAX_TOKEN_BYTES:
            raise InvalidToken(TokenRejection.MALFORMED)
        cached = self._verified.get(token)
        if cached is not None:
            user, expires = cached
            if time.time() < expires:
                self._verified.move_to_end(token)
                return user
            del self._verified[token]
        user, expires = await self._verify(token)
        if self._cache_size:
            self._verified[token] = (user, expires)
            if len(self._verified) > self._cache_size:
                self._verified.popitem(last=False)
        return user

    async def _verify(self, token: str) -> tuple[UserId, float]:
        try:
            header = jwt.get_unverified_header(token)
        except JWTError as exc:
            raise InvalidToken(TokenRejection.MALFORMED) from exc
        algorithm = header.get("alg")
        if not isinstance(algorithm, str):
            raise InvalidToken(TokenRejection.MALFORMED)
        if algorithm == SHARED_SECRET_ALGORITHM and self._secret is not None:
            claims = self._decode(token, self._secret, algorithm, *self._shared_checks)
        elif algorithm in ASYMMETRIC_ALGORITHMS and self._jwks is not None:
            key = await _jwks_key(self._jwks, header.get("kid"), algorithm)
            claims = self._decode(token, key, algorithm, *self._jwks_checks)
        else:
            # `none`, an algorithm we do not allow, or a mode that is not configured.
            raise InvalidToken(TokenRejection.BAD_SIGNATURE)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not is_valid_user_id(subject):
            raise InvalidToken(TokenRejection.INVALID_CLAIMS)
        return UserId(subject), float(claims["exp"])

    def _decode(
        self, token: str, key: Any, algorithm: str, issuer: str | None, audience: str | None
    ) -> dict[str, Any]:
        options = {
            "require_exp": True,
            "require_sub": True,
            "require_iss": issuer is not None,
            "require_aud": audience is not None,
            "verify_aud": audience is not None,
            "leeway": self._leeway,
        }
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=[algorithm], issuer=issuer, audience=audience, options=options
            )
        except ExpiredSignatureError as exc:
            raise InvalidToken(TokenRejection.EXPIRED) from exc
        except JWTClaimsError as exc:
            message = str(exc).lower()
            reason = next(
                (r for text, r in _CLAIM_REJECTIONS if text in message), TokenRejection.INVALID_CLAIMS
            )
            raise InvalidToken(reason) from exc
        except JWTError as exc:
            message = str(exc).lower()
            if "missing required key" in message:
                raise InvalidToken(TokenRejection.INVALID_CLAIMS) from exc
            if "signature" in message or "key" in message:
                raise InvalidToken(TokenRejection.BAD_SIGNATURE) from exc
            raise InvalidToken(TokenRejection.MALFORMED) from exc
        _check_issued_at(claims, self._leeway)
        return claims


async def _jwks_key(jwks: KeySource, kid: object, algorithm: str) -> dict[str, Any]:
    if not isinstance(kid, str) or not kid or len(kid) > 256:
        raise InvalidToken(TokenRejection.UNKNOWN_KEY)
    key = await jwks.key(kid)
    if key is None:
        raise InvalidToken(TokenRejection.UNKNOWN_KEY)
    declared = key.get("alg")
    kty, crv = _KEY_SHAPES[algorithm]
    if declared is not None and declared != algorithm:
        raise InvalidToken(TokenRejection.BAD_SIGNATURE)
    if key.get("kty") != kty or (crv is not None and key.get("crv") != crv):
        raise InvalidToken(TokenRejection.BAD_SIGNATURE)
    return key


def _check_issued_at(claims: dict[str, Any], leeway: int) -> None:
    # python-jose only checks that `iat` is a number; a token issued in the future is not valid yet.
    issued_at = claims.get("iat")
    if issued_at is None:
        return
    if not isinstance(issued_at, int | float) or isinstance(issued_at, bool):
        raise InvalidToken(TokenRejection.INVALID_CLAIMS)
    if issued_at > time.time() + leeway:
        raise InvalidToken(TokenRejection.NOT_YET_VALID)


def mint_shared_secret_token(
    secret: str,
    subject: str,
    ttl: timedelta,
    *,
    issuer: str | None = None,
    audience: str | None = None,
    now: float | None = None,
) -> str:
    """An HS256 token as a Better Auth front end sharing the secret would mint it."""
    issued_at = int(time.time() if now is None else now)
    claims: dict[str, Any] = {"sub": subject, "iat": issued_at, "exp": issued_at + int(ttl.total_seconds())}
    if issuer is not None:
        claims["iss"] = issuer
    if audience is not None:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm=SHARED_SECRET_ALGORITHM)
