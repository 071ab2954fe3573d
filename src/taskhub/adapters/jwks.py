"""Better Auth's public keys (JWKS), fetched over HTTP and cached by `kid`.

- Keys are cached for `ttl`; past it, the next lookup refreshes them.
- An unknown `kid` triggers a refresh, but at most once per `min_refresh_interval`, so forged
  kids cannot turn into a fetch storm against the auth server.
- When the JWKS endpoint is down, the keys already cached keep working.
- One refresh at a time per process (single flight); callers wait for it at most `timeout`,
  and a request that arrives while one is under way waits for it instead of failing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Final

import httpx

_log = logging.getLogger(__name__)

# HMAC ("oct") keys are never taken from a JWKS: a shared secret published there would let anyone
# sign. Only the asymmetric key types Better Auth can produce are kept.
_ASYMMETRIC_KEY_TYPES: Final = frozenset({"OKP", "EC", "RSA"})
_MAX_JWKS_BYTES: Final = 256 * 1024


class JwksCache:
    def __init__(
        self,
        url: str,
        *,
        ttl_seconds: float = 300,
        min_refresh_interval_seconds: float = 30,
        timeout_seconds: float = 3,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url
        self._ttl = ttl_seconds
        self._min_interval = min_refresh_interval_seconds
        self._timeout = timeout_seconds
        self._transport = transport
        self._clock = clock
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._inflight: asyncio.Future[None] | None = None
        self._client: httpx.AsyncClient | None = None

    async def key(self, kid: str) -> dict[str, Any] | None:
        if self._inflight is not None:
            # A refresh is under way (the start-up warm-up, or another request's): its answer is ours.
            await asyncio.shield(self._inflight)
        if self._is_stale() or (kid not in self._keys and self._may_refresh()):
            await self.refresh()
        return self._keys.get(kid)

    async def refresh(self) -> None:
        """Fetch the keys now; concurrent callers share one request (single flight)."""
        if self._inflight is None:
            self._attempted_at = self._clock()
            inflight = asyncio.ensure_future(self._refresh())
            inflight.add_done_callback(self._refresh_done)
            self._inflight = inflight
        await asyncio.shield(self._inflight)

    def _refresh_done(self, _: asyncio.Future[None]) -> None:
        self._inflight = None

    async def _refresh(self) -> None:
        try:
            keys = await self._fetch()
        except (httpx.HTTPError, ValueError) as exc:
            _log.warning(
                "JWKS refresh failed; keeping %d cached keys",
                len(self._keys),
                extra={"jwks_url": self._url, "error": type(exc).__name__},
            )
            return
        self._keys = keys
        self._fetched_at = self._clock()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _is_stale(self) -> bool:
        if self._fetched_at is None:
            return self._may_refresh()
        return self._clock() - self._fetched_at >= self._ttl and self._may_refresh()

    def _may_refresh(self) -> bool:
        return self._attempted_at is None or self._clock() - self._attempted_at >= self._min_interval

    async def _fetch(self) -> dict[str, dict[str, Any]]:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self._timeout, transport=self._transport, follow_redirects=False
            )
        response = await self._client.get(self._url, headers={"Accept": "application/json"})
        response.raise_for_status()
        if len(response.content) > _MAX_JWKS_BYTES:
            raise ValueError("JWKS document too large")
        document = response.json()
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise ValueError("not a JWKS document")
        return {
            key["kid"]: key
            for key in document["keys"]
            if isinstance(key, dict)
            and isinstance(key.get("kid"), str)
            and key.get("kty") in _ASYMMETRIC_KEY_TYPES
            and key.get("use", "sig") == "sig"
        }
