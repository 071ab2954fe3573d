"""Bearer authentication for `/api/*`: the verified subject becomes `request.user`."""

from __future__ import annotations

from typing import Any, cast

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from taskhub.entrypoints.http.metrics import AUTH_FAILURES
from taskhub.entrypoints.http.rate_limit import SCOPE_KEY as RATE_LIMIT_KEY
from taskhub.entrypoints.http.rate_limit import RateLimited, RateLimits
from taskhub.ports.token_verifier import InvalidToken, TokenRejection, TokenVerifier


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise InvalidToken(TokenRejection.MISSING)
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    # One token after the scheme (RFC 6750 section 2.1): anything more is not a bearer header.
    if scheme.lower() != "bearer" or not token or any(c.isspace() for c in token):
        raise InvalidToken(TokenRejection.MALFORMED)
    return token


class BearerAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    """Verifies the token, then applies the rate limits: per user when the token is good, per
    client address when it is not (so floods of bad tokens are throttled as well)."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        container = connection.app.state.container
        verifier: TokenVerifier = container.token_verifier()
        limits: RateLimits = container.rate_limits()
        state = cast("dict[str, Any]", connection.scope)
        try:
            user = await verifier.verify(bearer_token(connection.headers.get("authorization")))
        except InvalidToken as exc:
            AUTH_FAILURES.labels(exc.reason.value).inc()
            address = connection.client.host if connection.client else "unknown"
            decision = state[RATE_LIMIT_KEY] = await limits.for_address(address)
            if not decision.allowed:
                raise RateLimited(decision) from None
            raise
        decision = state[RATE_LIMIT_KEY] = await limits.for_user(user)
        if not decision.allowed:
            raise RateLimited(decision)
        return AuthenticationResult(user=user, auth=None)
