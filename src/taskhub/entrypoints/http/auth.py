"""Bearer authentication for `/api/*`: the verified subject becomes `request.user`."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from taskhub.domain.model import UserId
from taskhub.ports.token_verifier import InvalidToken, TokenRejection, TokenVerifier


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise InvalidToken(TokenRejection.MISSING)
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken(TokenRejection.MALFORMED)
    return token.strip()


class BearerAuthenticationMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        verifier: TokenVerifier = connection.app.state.container.token_verifier()
        token = bearer_token(connection.headers.get("authorization"))
        user = await verifier.verify(token)
        return AuthenticationResult(user=user, auth=None)


def provide_caller(request: ASGIConnection[Any, UserId, Any, Any]) -> UserId:
    """The authenticated user, as the use cases take it: a plain UserId, never the token."""
    return request.user
