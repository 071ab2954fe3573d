"""The token verifier port: turns a bearer token into the user it speaks for."""

from __future__ import annotations

import enum
from typing import Protocol

from taskhub.domain.errors import TaskhubError
from taskhub.domain.model import UserId


class TokenRejection(enum.StrEnum):
    """Why a token was refused; the value is safe to show to the client."""

    MISSING = "missing"
    MALFORMED = "malformed"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    BAD_SIGNATURE = "bad_signature"
    UNKNOWN_KEY = "unknown_key"
    WRONG_ISSUER = "wrong_issuer"
    WRONG_AUDIENCE = "wrong_audience"
    INVALID_CLAIMS = "invalid_claims"


class InvalidToken(TaskhubError):
    """The token cannot be trusted. Never carries the token or its claims."""

    def __init__(self, reason: TokenRejection) -> None:
        self.reason = reason
        super().__init__(f"The bearer token was refused ({reason.value}).")


class TokenVerifier(Protocol):
    async def verify(self, token: str) -> UserId:
        """The token's subject, or InvalidToken."""
        ...
