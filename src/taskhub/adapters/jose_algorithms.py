"""EdDSA (Ed25519) and PS256 for python-jose, on the `cryptography` backend it already uses.

python-jose 3.5 knows neither, and Better Auth signs with EdDSA by default (PS256 is one of its
options). `jose.jwk.register_key` is python-jose's extension point for new algorithms: the key
classes below plug into it, and all signature maths stays in `cryptography`.
"""

from __future__ import annotations

import base64
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jose import jwk
from jose.backends.base import Key
from jose.backends.cryptography_backend import CryptographyRSAKey
from jose.exceptions import JWKError

EDDSA: Final = "EdDSA"
PS256: Final = "PS256"


def _b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _b64url_encode(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


class Ed25519Key(Key):
    """An OKP/Ed25519 JWK (RFC 8037), or a cryptography Ed25519 key, or PEM."""

    def __init__(self, key: Any, algorithm: str) -> None:
        if algorithm != EDDSA:
            raise JWKError(f"Ed25519 keys sign with EdDSA, not {algorithm}")
        self._algorithm = algorithm
        self._private: Ed25519PrivateKey | None = None
        if isinstance(key, Ed25519PrivateKey):
            self._private, self._public = key, key.public_key()
        elif isinstance(key, Ed25519PublicKey):
            self._public = key
        elif isinstance(key, dict):
            self._from_jwk(key)
        elif isinstance(key, str | bytes):
            self._from_pem(key.encode() if isinstance(key, str) else key)
        else:
            raise JWKError("unsupported Ed25519 key")

    def _from_jwk(self, data: dict[str, Any]) -> None:
        if data.get("kty") != "OKP" or data.get("crv") != "Ed25519" or not isinstance(data.get("x"), str):
            raise JWKError("not an Ed25519 OKP key")
        try:
            self._public = Ed25519PublicKey.from_public_bytes(_b64url_decode(data["x"]))
            if isinstance(data.get("d"), str):
                self._private = Ed25519PrivateKey.from_private_bytes(_b64url_decode(data["d"]))
        except ValueError as exc:
            raise JWKError("invalid Ed25519 key material") from exc

    def _from_pem(self, pem: bytes) -> None:
        try:
            loaded: Any = serialization.load_pem_private_key(pem, password=None)
        except ValueError:
            loaded = serialization.load_pem_public_key(pem)
        if isinstance(loaded, Ed25519PrivateKey):
            self._private, self._public = loaded, loaded.public_key()
        elif isinstance(loaded, Ed25519PublicKey):
            self._public = loaded
        else:
            raise JWKError("not an Ed25519 key")

    def sign(self, msg: bytes) -> bytes:
        if self._private is None:
            raise JWKError("a public key cannot sign")
        return self._private.sign(msg)

    def verify(self, msg: bytes, sig: bytes) -> bool:
        try:
            self._public.verify(sig, msg)
        except InvalidSignature:
            return False
        return True

    def public_key(self) -> Ed25519Key:
        return Ed25519Key(self._public, self._algorithm)

    def to_dict(self) -> dict[str, str]:
        raw = self._public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        data = {"kty": "OKP", "crv": "Ed25519", "alg": EDDSA, "x": _b64url_encode(raw)}
        if self._private is not None:
            secret = self._private.private_bytes(
                serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
            )
            data["d"] = _b64url_encode(secret)
        return data


class RsaPssKey(CryptographyRSAKey):
    """RSASSA-PSS with SHA-256 and a 32-byte salt (RFC 7518 section 3.5)."""

    _PSS: Final = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)

    def __init__(self, key: Any, algorithm: str) -> None:
        if algorithm != PS256:
            raise JWKError(f"RSA-PSS keys sign with PS256, not {algorithm}")
        # Key parsing (JWK, PEM, cryptography objects) is the parent's; only padding differs.
        super().__init__(key, "RS256")
        self._algorithm = PS256

    def sign(self, msg: bytes) -> bytes:
        signature: bytes = self.prepared_key.sign(msg, self._PSS, hashes.SHA256())
        return signature

    def verify(self, msg: bytes, sig: bytes) -> bool:
        try:
            self.prepared_key.verify(sig, msg, self._PSS, hashes.SHA256())
        except InvalidSignature:
            return False
        return True

    def public_key(self) -> RsaPssKey:
        public = (
            self.prepared_key
            if not hasattr(self.prepared_key, "private_bytes")
            else self.prepared_key.public_key()
        )
        return RsaPssKey(public, PS256)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = super().to_dict()  # type: ignore[no-untyped-call]
        data["alg"] = PS256
        return data


def register() -> None:
    """Idempotent: teach python-jose EdDSA and PS256."""
    jwk.register_key(EDDSA, Ed25519Key)
    jwk.register_key(PS256, RsaPssKey)
