"""Bearer tokens with python-jose: verifying them, and minting development tokens."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any, Final

from jose import jwt
from jose.exceptions import ExpiredSignatureError, JWTClaimsError, JWTError

from taskhub.domain.model import UserId, is_valid_user_id
from taskhub.ports.token_verifier import InvalidToken, TokenRejection

# A bearer token past this size is refused before any parsing (API.md, Authentication).
MAX_TOKEN_BYTES: Final = 8 * 1024
SHARED_SECRET_ALGORITHM: Final = "HS256"  # noqa: S105 - an algorithm name, not a secret
MIN_SECRET_BYTES: Final = 32

_CLAIM_REJECTIONS: Final = (
    ("issuer", TokenRejection.WRONG_ISSUER),
    ("audience", TokenRejection.WRONG_AUDIENCE),
    ("not yet valid", TokenRejection.NOT_YET_VALID),
)


class JoseTokenVerifier:
    """Shared-secret (HS256) verification of the tokens front ends mint with BETTER_AUTH_SECRET."""

    def __init__(
        self,
        secret: str,
        *,
        issuer: str | None = None,
        audience: str | None = None,
        leeway_seconds: int = 30,
    ) -> None:
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"the shared secret must be at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self._options: dict[str, Any] = {
            "require_exp": True,
            "require_sub": True,
            "require_iss": issuer is not None,
            "require_aud": audience is not None,
            "verify_aud": audience is not None,
            "leeway": leeway_seconds,
        }

    async def verify(self, token: str) -> UserId:
        if not token:
            raise InvalidToken(TokenRejection.MISSING)
        if len(token.encode()) > MAX_TOKEN_BYTES:
            raise InvalidToken(TokenRejection.MALFORMED)
        try:
            header = jwt.get_unverified_header(token)
        except JWTError as exc:
            raise InvalidToken(TokenRejection.MALFORMED) from exc
        if not isinstance(header.get("alg"), str):
            raise InvalidToken(TokenRejection.MALFORMED)
        # The algorithm is pinned by our key, never chosen by the token: this refuses `none`
        # and every public-key algorithm a forger might pair with our secret.
        if header.get("alg") != SHARED_SECRET_ALGORITHM:
            raise InvalidToken(TokenRejection.BAD_SIGNATURE)
        claims = self._decode(token)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not is_valid_user_id(subject):
            raise InvalidToken(TokenRejection.INVALID_CLAIMS)
        return UserId(subject)

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[SHARED_SECRET_ALGORITHM],
                issuer=self._issuer,
                audience=self._audience,
                options=self._options,
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
            if "signature" in message:
                raise InvalidToken(TokenRejection.BAD_SIGNATURE) from exc
            if "missing required key" in message:
                raise InvalidToken(TokenRejection.INVALID_CLAIMS) from exc
            raise InvalidToken(TokenRejection.MALFORMED) from exc
        return claims


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
