"""Settings from environment variables, validated once at start.

Every variable is listed in the README's configuration table. A bad value stops the process
with one clear line (`SettingsError`), never a traceback, and never echoes a secret.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Final, TypeVar
from urllib.parse import urlsplit

from taskhub.adapters.jose_tokens import check_shared_secret
from taskhub.adapters.postgres.engine import PoolSettings
from taskhub.adapters.postgres.url import InvalidDatabaseUrl, PoolerMode, parse_database_url

DEFAULT_MAX_BODY_BYTES: Final = 64 * 1024
# Production drains for this long on SIGTERM before it stops (development: not at all).
PRODUCTION_SHUTDOWN_DRAIN_SECONDS: Final = 5.0
# Where Better Auth's jwt plugin serves its public keys, below its base URL.
BETTER_AUTH_JWKS_PATH: Final = "/api/auth/jwks"

_E = TypeVar("_E", bound=enum.StrEnum)


class SettingsError(ValueError):
    """A configuration value is missing or wrong; the message names the variable."""


class Environment(enum.StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


@dataclass(frozen=True, slots=True)
class Settings:
    environment: Environment = Environment.DEVELOPMENT
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    database_url: str | None = None
    database_pooler: str = PoolerMode.AUTO
    db_retry_attempts: int = 3
    data_dir: Path = Path(".taskhub")
    embedded_pgdata: Path = Path(".taskhub/pgdata")
    auth_secret: str | None = None
    better_auth_url: str | None = None
    jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_leeway_seconds: int = 30
    jwks_cache_ttl_seconds: int = 300
    jwks_refresh_interval_seconds: int = 30
    jwks_timeout_seconds: float = 3.0
    pool: PoolSettings = field(default_factory=PoolSettings)
    migrate_on_start: bool = True
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    idempotency_ttl_seconds: int = 24 * 3600
    tombstone_retention_days: int = 30
    log_level: str = "INFO"
    log_format: str = "console"
    redis_url: str | None = None
    rate_limit_per_minute: int = 300
    rate_limit_anon_per_minute: int = 60
    cors_origins: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    metrics_enabled: bool = True
    shutdown_drain_seconds: float = 0.0
    otel_endpoint: str | None = None

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def jwks_issuer(self) -> str | None:
        """Better Auth sets `iss` to its base URL; JWT_ISSUER overrides it."""
        return self.jwt_issuer or self.better_auth_url

    @property
    def jwks_audience(self) -> str | None:
        """Better Auth sets `aud` to its base URL; JWT_AUDIENCE overrides it."""
        return self.jwt_audience or self.better_auth_url

    @property
    def idempotency_ttl(self) -> timedelta:
        return timedelta(seconds=self.idempotency_ttl_seconds)

    @property
    def tombstone_retention(self) -> timedelta:
        return timedelta(days=self.tombstone_retention_days)

    @property
    def has_token_keys(self) -> bool:
        return self.auth_secret is not None or self.jwks_url is not None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Each variable, or its default: the field's own (below), or, for the few that differ in
        production, the production one."""
        reader = _Reader(env)
        default = cls()
        environment = reader.choice("TASKHUB_ENV", Environment, default.environment)
        production = environment is Environment.PRODUCTION
        data_dir = Path(reader.text("TASKHUB_DATA_DIR") or default.data_dir)
        database_url = reader.text("DATABASE_URL")
        pooler = reader.choice_text(
            "DATABASE_POOLER", tuple(sorted(PoolerMode.ALL)), default.database_pooler, lower=True
        )
        if database_url is not None:
            try:
                parse_database_url(database_url, pooler)
            except InvalidDatabaseUrl as exc:
                raise SettingsError(str(exc)) from None
        elif production:
            raise SettingsError("DATABASE_URL is required when TASKHUB_ENV=production")
        secret = reader.text("BETTER_AUTH_SECRET")
        if secret is not None:
            try:
                check_shared_secret(secret)
            except ValueError as exc:
                raise SettingsError(f"BETTER_AUTH_SECRET {exc}") from None
        better_auth_url = reader.url("BETTER_AUTH_URL")
        if better_auth_url is not None:
            better_auth_url = better_auth_url.rstrip("/")
        jwks_url = reader.url("BETTER_AUTH_JWKS_URL") or (
            f"{better_auth_url}{BETTER_AUTH_JWKS_PATH}" if better_auth_url else None
        )
        if secret is None and jwks_url is None and production:
            raise SettingsError(
                "set BETTER_AUTH_SECRET, BETTER_AUTH_URL or BETTER_AUTH_JWKS_URL when TASKHUB_ENV=production"
            )
        pool = default.pool
        pool = PoolSettings(
            size=reader.integer("DB_POOL_SIZE", pool.size, minimum=1),
            acquire_timeout_seconds=reader.number(
                "DB_POOL_TIMEOUT_SECONDS", pool.acquire_timeout_seconds, minimum=0.1
            ),
            recycle_seconds=reader.integer("DB_POOL_RECYCLE_SECONDS", pool.recycle_seconds, minimum=1),
            connect_timeout_seconds=reader.number(
                "DB_CONNECT_TIMEOUT_SECONDS", pool.connect_timeout_seconds, minimum=0.1
            ),
            statement_timeout_ms=reader.integer(
                "DB_STATEMENT_TIMEOUT_MS", pool.statement_timeout_ms, minimum=0
            ),
            read_size=reader.integer("DB_READ_POOL_SIZE", pool.read_size, minimum=1),
        )
        return cls(
            environment=environment,
            host=reader.text("HOST") or default.host,
            port=reader.integer("PORT", default.port, minimum=1, maximum=65535),
            workers=reader.integer("WORKERS", default.workers, minimum=1, maximum=64),
            database_url=database_url,
            database_pooler=pooler,
            db_retry_attempts=reader.integer(
                "DB_RETRY_ATTEMPTS", default.db_retry_attempts, minimum=1, maximum=10
            ),
            data_dir=data_dir,
            embedded_pgdata=Path(reader.text("EMBEDDED_PGDATA") or data_dir / "pgdata"),
            auth_secret=secret,
            better_auth_url=better_auth_url,
            jwks_url=jwks_url,
            jwt_issuer=reader.text("JWT_ISSUER"),
            jwt_audience=reader.text("JWT_AUDIENCE"),
            jwt_leeway_seconds=reader.integer(
                "JWT_LEEWAY_SECONDS", default.jwt_leeway_seconds, minimum=0, maximum=300
            ),
            jwks_cache_ttl_seconds=reader.integer(
                "JWKS_CACHE_TTL_SECONDS", default.jwks_cache_ttl_seconds, minimum=1
            ),
            jwks_refresh_interval_seconds=reader.integer(
                "JWKS_REFRESH_INTERVAL_SECONDS", default.jwks_refresh_interval_seconds, minimum=1
            ),
            jwks_timeout_seconds=reader.number(
                "JWKS_TIMEOUT_SECONDS", default.jwks_timeout_seconds, minimum=0.1
            ),
            pool=pool,
            migrate_on_start=reader.boolean("MIGRATE_ON_START", not production),
            max_body_bytes=reader.integer(
                "MAX_BODY_BYTES", default.max_body_bytes, minimum=1024, maximum=16 * 1024 * 1024
            ),
            idempotency_ttl_seconds=reader.integer(
                "IDEMPOTENCY_TTL_SECONDS", default.idempotency_ttl_seconds, minimum=60, maximum=30 * 24 * 3600
            ),
            tombstone_retention_days=reader.integer(
                "TOMBSTONE_RETENTION_DAYS", default.tombstone_retention_days, minimum=1, maximum=3650
            ),
            log_format=reader.choice_text(
                "LOG_FORMAT", ("console", "json"), "json" if production else default.log_format, lower=True
            ),
            redis_url=reader.redis_url("REDIS_URL"),
            rate_limit_per_minute=reader.integer(
                "RATE_LIMIT_PER_MINUTE", default.rate_limit_per_minute, minimum=1
            ),
            rate_limit_anon_per_minute=reader.integer(
                "RATE_LIMIT_ANON_PER_MINUTE", default.rate_limit_anon_per_minute, minimum=1
            ),
            cors_origins=reader.origins("CORS_ORIGINS"),
            trusted_proxies=reader.networks("TRUSTED_PROXIES"),
            metrics_enabled=reader.boolean("METRICS_ENABLED", default.metrics_enabled),
            shutdown_drain_seconds=reader.number(
                "SHUTDOWN_DRAIN_SECONDS",
                PRODUCTION_SHUTDOWN_DRAIN_SECONDS if production else default.shutdown_drain_seconds,
                minimum=0,
            ),
            otel_endpoint=reader.url("OTEL_EXPORTER_OTLP_ENDPOINT"),
            log_level=reader.choice_text(
                "LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR"), default.log_level
            ),
        )


class _Reader:
    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def text(self, name: str) -> str | None:
        value = self._env.get(name, "").strip()
        return value or None

    def url(self, name: str) -> str | None:
        raw = self.text(name)
        if raw is None:
            return None
        parts = urlsplit(raw)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise SettingsError(f"{name} must be an http:// or https:// URL")
        return raw

    def redis_url(self, name: str) -> str | None:
        raw = self.text(name)
        if raw is None:
            return None
        parts = urlsplit(raw)
        if parts.scheme not in {"redis", "rediss", "unix"}:
            raise SettingsError(f"{name} must be a redis://, rediss:// or unix:// URL")
        return raw

    def origins(self, name: str) -> tuple[str, ...]:
        raw = self.text(name)
        if raw is None:
            return ()
        origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
        for origin in origins:
            parts = urlsplit(origin)
            if origin != "*" and (parts.scheme not in {"http", "https"} or not parts.netloc or parts.path):
                raise SettingsError(
                    f"{name} must list origins such as https://app.example.com, comma-separated"
                )
        return origins

    def networks(self, name: str) -> tuple[str, ...]:
        raw = self.text(name)
        if raw is None:
            return ()
        networks = tuple(n.strip() for n in raw.split(",") if n.strip())
        for network in networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise SettingsError(
                    f"{name} must list IP networks such as 10.0.0.0/8, comma-separated"
                ) from None
        return networks

    def integer(self, name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a whole number") from None
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
            raise SettingsError(f"{name} must be {bound}")
        return value

    def number(self, name: str, default: float, *, minimum: float) -> float:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(f"{name} must be a number") from None
        if not value >= minimum:
            raise SettingsError(f"{name} must be at least {minimum}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = self.text(name)
        if raw is None:
            return default
        lowered = raw.lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise SettingsError(f"{name} must be true or false")

    def choice(self, name: str, kind: type[_E], default: _E) -> _E:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            return kind(raw.lower())
        except ValueError:
            allowed = ", ".join(member.value for member in kind)
            raise SettingsError(f"{name} must be one of: {allowed}") from None

    def choice_text(self, name: str, allowed: tuple[str, ...], default: str, *, lower: bool = False) -> str:
        raw = self.text(name)
        if raw is None:
            return default
        value = raw.lower() if lower else raw.upper()
        if value not in allowed:
            raise SettingsError(f"{name} must be one of: {', '.join(allowed)}")
        return value
