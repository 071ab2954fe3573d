"""Bearer tokens with python-jose: verifying Better Auth tokens, and minting development tokens.

Two key sources, either or both:
- shared secret: HS256 tokens a front end mints with BETTER_AUTH_SECRET;
- JWKS: tokens Better Auth's `jwt` plugin signs (EdDSA by default; ES256, ES512, RS256, PS256).

The algorithm is pinned by the key, never chosen by the token (RFC 8725 section 3.1): HS256 is
only ever checked against the shared secret, an asymmetric algorithm only against a JWKS key
whose `alg` (or key type) matches it, and `none` never.

python-jose does the cryptography (its keys verify signatures). The token's structure and its
claims are read here, strictly (RFC 7519): every registered claim must have its JSON type, time
comes from the `Clock` port, and each refusal is raised as the reason it is, not recognised
afterwards from a library's message. Anything a token can carry is a 401, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final, Protocol

import msgspec
from jose import jwk, jwt
from jose.backends.base import Key
from jose.exceptions import JWKError

from taskhub.adapters import jose_algorithms
from taskhub.adapters.system import SystemClock
from taskhub.domain.model import UserId, is_valid_user_id
from taskhub.ports.clock import Clock
from taskhub.ports.token_verifier import InvalidToken, TokenRejection

jose_algorithms.register()

# A bearer token past this size is refused before any parsing (docs/authentication.md).
MAX_TOKEN_BYTES: Final = 8 * 1024
SHARED_SECRET_ALGORITHM: Final = "HS256"  # noqa: S105 - an algorithm name, not a secret
MIN_SECRET_BYTES: Final = 32
KID_MAX_LENGTH: Final = 256

# What each asymmetric algorithm needs the JWK to be, when the JWK does not name its `alg`.
_KEY_SHAPES: Final[dict[str, tuple[str, str | None]]] = {
    "EdDSA": ("OKP", "Ed25519"),
    "ES256": ("EC", "P-256"),
    "ES512": ("EC", "P-521"),
    "RS256": ("RSA", None),
    "PS256": ("RSA", None),
}
ASYMMETRIC_ALGORITHMS: Final = frozenset(_KEY_SHAPES)
# base64url without padding (RFC 7515 section 2): anything else in a segment is malformed.
_BASE64URL: Final = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
_JSON: Final = msgspec.json.Decoder()


class KeySource(Protocol):
    async def key(self, kid: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True, slots=True)
class _Parsed:
    """A compact JWS split into what its signature covers and what it says."""

    header: dict[str, Any]
    signing_input: bytes
    payload: bytes
    signature: bytes


@dataclass(frozen=True, slots=True)
class _Expected:
    """What the claims must say besides being well-typed and current."""

    issuer: str | None
    audience: str | None


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
        clock: Clock | None = None,
    ) -> None:
        """`issuer`/`audience` apply to every token; `jwks_*` (default: the same) to JWKS tokens."""
        if secret is None and jwks is None:
            raise ValueError("configure a shared secret, a JWKS, or both")
        self._secret_key = None if secret is None else _secret_key(secret)
        self._jwks = jwks
        self._leeway = leeway_seconds
        self._clock = clock or SystemClock()
        self._shared = _Expected(issuer, audience)
        self._from_jwks = _Expected(jwks_issuer or issuer, jwks_audience or audience)
        # Verified tokens, until their `exp` and never beyond: signature checks cost far more than
        # the rest of a request, and a client sends the same token many times.
        self._verified: OrderedDict[str, tuple[UserId, float]] = OrderedDict()
        self._cache_size = cache_size

    async def verify(self, token: str) -> UserId:
        if not token:
            raise InvalidToken(TokenRejection.MISSING)
        if len(token.encode()) > MAX_TOKEN_BYTES:
            raise InvalidToken(TokenRejection.MALFORMED)
        now = self._clock.now().timestamp()
        cached = self._verified.get(token)
        if cached is not None:
            user, expires = cached
            if now < expires:
                self._verified.move_to_end(token)
                return user
            del self._verified[token]
        user, expires = await self._verify(token, now)
        if self._cache_size:
            self._verified[token] = (user, expires)
            if len(self._verified) > self._cache_size:
                self._verified.popitem(last=False)
        return user

    async def _verify(self, token: str, now: float) -> tuple[UserId, float]:
        """The subject, and until when (a timestamp) the token may be taken without a new check."""
        parsed = _parse(token)
        algorithm = parsed.header.get("alg")
        if not isinstance(algorithm, str):
            raise InvalidToken(TokenRejection.MALFORMED)
        if algorithm == SHARED_SECRET_ALGORITHM and self._secret_key is not None:
            key, expected = self._secret_key, self._shared
        elif algorithm in ASYMMETRIC_ALGORITHMS and self._jwks is not None:
            key = await _jwks_key(self._jwks, parsed.header.get("kid"), algorithm)
            expected = self._from_jwks
        else:
            # `none`, an algorithm we do not allow, or a mode that is not configured.
            raise InvalidToken(TokenRejection.BAD_SIGNATURE)
        if not _signed_by(key, parsed):
            raise InvalidToken(TokenRejection.BAD_SIGNATURE)
        return _check_claims(_claims(parsed.payload), expected, now, self._leeway)


def check_shared_secret(secret: str) -> None:
    """The shared secret's rules, for whoever reads it first (settings, the verifier): ValueError."""
    _secret_key(secret)


def _secret_key(secret: str) -> Key:
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ValueError(f"must be at least {MIN_SECRET_BYTES} bytes")
    try:
        return jwk.construct(secret, SHARED_SECRET_ALGORITHM)
    except JWKError:
        raise ValueError("must not be an asymmetric key or a certificate") from None


def _segment(text: str) -> bytes:
    raw = text.encode("ascii", errors="replace")
    if not _BASE64URL.issuperset(raw):
        raise InvalidToken(TokenRejection.MALFORMED)
    try:
        return base64.urlsafe_b64decode(raw + b"=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise InvalidToken(TokenRejection.MALFORMED) from None


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = _JSON.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise InvalidToken(TokenRejection.MALFORMED) from None
    if not isinstance(value, dict):
        raise InvalidToken(TokenRejection.MALFORMED)
    return value


def _parse(token: str) -> _Parsed:
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidToken(TokenRejection.MALFORMED)
    header_text, payload_text, signature_text = parts
    header = _json_object(_segment(header_text))
    if "crit" in header:
        # Extensions the token says must be understood (RFC 7515 section 4.1.11): none is.
        raise InvalidToken(TokenRejection.MALFORMED)
    return _Parsed(
        header=header,
        signing_input=f"{header_text}.{payload_text}".encode("ascii"),
        payload=_segment(payload_text),
        signature=_segment(signature_text),
    )


def _signed_by(key: Key, parsed: _Parsed) -> bool:
    try:
        return bool(key.verify(parsed.signing_input, parsed.signature))
    except (ValueError, TypeError, JWKError):
        # A signature of the wrong size or encoding for the key: it cannot be this key's.
        return False


async def _jwks_key(jwks: KeySource, kid: object, algorithm: str) -> Key:
    if not isinstance(kid, str) or not kid or len(kid) > KID_MAX_LENGTH:
        raise InvalidToken(TokenRejection.UNKNOWN_KEY)
    data = await jwks.key(kid)
    if data is None:
        raise InvalidToken(TokenRejection.UNKNOWN_KEY)
    declared = data.get("alg")
    kty, crv = _KEY_SHAPES[algorithm]
    if declared is not None and declared != algorithm:
        raise InvalidToken(TokenRejection.BAD_SIGNATURE)
    if data.get("kty") != kty or (crv is not None and data.get("crv") != crv):
        raise InvalidToken(TokenRejection.BAD_SIGNATURE)
    try:
        return jwk.construct(data, algorithm)
    except (JWKError, ValueError, TypeError):
        # The JWKS serves a key of the right type that does not load: no token can match it.
        raise InvalidToken(TokenRejection.BAD_SIGNATURE) from None


def _claims(payload: bytes) -> dict[str, Any]:
    return _json_object(payload)


def _invalid() -> InvalidToken:
    return InvalidToken(TokenRejection.INVALID_CLAIMS)


def _number(claims: dict[str, Any], name: str) -> float | None:
    """A NumericDate (RFC 7519 section 2): a JSON number, not a string, a boolean or null."""
    if name not in claims:
        return None
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _invalid()
    try:
        number = float(value)
    except OverflowError:
        raise _invalid() from None
    if not math.isfinite(number):
        raise _invalid()
    return number


def _text(claims: dict[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if name in claims and not isinstance(value, str):
        raise _invalid()
    return value


def _audiences(claims: dict[str, Any]) -> list[str] | None:
    """`aud` is a string or an array of strings (RFC 7519 section 4.1.3)."""
    if "aud" not in claims:
        return None
    value = claims["aud"]
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise _invalid()


def _check_claims(
    claims: dict[str, Any], expected: _Expected, now: float, leeway: int
) -> tuple[UserId, float]:
    # Every registered claim present must have its type, whether or not it is checked.
    expires = _number(claims, "exp")
    not_before = _number(claims, "nbf")
    issued_at = _number(claims, "iat")
    issuer = _text(claims, "iss")
    _text(claims, "jti")
    subject = _text(claims, "sub")
    audiences = _audiences(claims)
    if expires is None or subject is None or not is_valid_user_id(subject):
        raise _invalid()
    if now - leeway >= expires:
        raise InvalidToken(TokenRejection.EXPIRED)
    if (not_before is not None and not_before > now + leeway) or (
        issued_at is not None and issued_at > now + leeway
    ):
        raise InvalidToken(TokenRejection.NOT_YET_VALID)
    if expected.issuer is not None and issuer != expected.issuer:
        raise InvalidToken(TokenRejection.WRONG_ISSUER)
    if expected.audience is not None:
        if audiences is None:
            raise _invalid()
        if expected.audience not in audiences:
            raise InvalidToken(TokenRejection.WRONG_AUDIENCE)
    return UserId(subject), expires + leeway


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
    issued_at = int(SystemClock().now().timestamp() if now is None else now)
    claims: dict[str, Any] = {"sub": subject, "iat": issued_at, "exp": issued_at + int(ttl.total_seconds())}
    if issuer is not None:
        claims["iss"] = issuer
    if audience is not None:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm=SHARED_SECRET_ALGORITHM)
