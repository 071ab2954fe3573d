"""Real key pairs for every algorithm Better Auth can sign with, and tokens shaped like its own.

Tokens are signed with PyJWT, an implementation independent of the python-jose code under test.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt as pyjwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm, RSAPSSAlgorithm

BETTER_AUTH_URL = "http://127.0.0.1:3000"


@dataclass(frozen=True)
class KeyPair:
    algorithm: str
    private_key: Any
    kid: str = field(default_factory=lambda: uuid.uuid4().hex)

    def public_jwk(self) -> dict[str, Any]:
        """As Better Auth's /api/auth/jwks serves it: kty, alg, kid and the key, no `use`."""
        codec = {
            "EdDSA": OKPAlgorithm,
            "ES256": ECAlgorithm,
            "ES512": ECAlgorithm,
            "RS256": RSAAlgorithm,
            "PS256": RSAPSSAlgorithm,
        }[self.algorithm]
        jwk: dict[str, Any] = json.loads(codec.to_jwk(self.private_key.public_key()))
        return {**jwk, "alg": self.algorithm, "kid": self.kid}

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        return pyjwt.encode(
            claims, self.private_key, algorithm=self.algorithm, headers={"kid": self.kid, **header}
        )

    def sign_payload(self, payload: bytes) -> str:
        """Any bytes as the payload, JSON or not: for claims no JSON encoder would write."""
        return pyjwt.PyJWS().encode(
            payload, self.private_key, algorithm=self.algorithm, headers={"kid": self.kid}
        )


def generate(algorithm: str) -> KeyPair:
    private: Any
    if algorithm == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
    elif algorithm == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
    elif algorithm == "ES512":
        private = ec.generate_private_key(ec.SECP521R1())
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return KeyPair(algorithm, private)


def better_auth_claims(sub: str = "user_2x9Qb", **overrides: Any) -> dict[str, Any]:
    """The claims Better Auth 1.7's jwt plugin puts in a token (15 minutes, iss = aud = base URL)."""
    now = int(time.time())
    claims = {
        "sub": sub,
        "iat": now,
        "exp": now + 15 * 60,
        "iss": BETTER_AUTH_URL,
        "aud": BETTER_AUTH_URL,
        "id": sub,
        "email": "ada@example.com",
        "name": "Ada",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}
