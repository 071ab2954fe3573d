"""From the DATABASE_URL a provider prints to what asyncpg and SQLAlchemy can use.

Providers print libpq URLs (`postgres://user:pass@host/db?sslmode=require&channel_binding=require`).
asyncpg is not libpq: it takes TLS as an `ssl` argument, knows nothing of `channel_binding`, and
chokes on parameters it does not know. This module keeps what can be honoured, translates what
can be translated, and drops the rest, saying so in the log (never with the password).
"""

from __future__ import annotations

import functools
import logging
import ssl
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy.engine import URL, make_url

_log = logging.getLogger(__name__)

ASYNC_DRIVER: Final = "postgresql+asyncpg"
_ACCEPTED_SCHEMES: Final = frozenset({"postgres", "postgresql", "postgresql+asyncpg"})
_SSL_MODES: Final = frozenset({"disable", "allow", "prefer", "require", "verify-ca", "verify-full"})
# libpq parameters asyncpg has no equivalent for. Dropping them is safe: TLS is still negotiated
# by sslmode; Neon's `options=endpoint=...` is only needed by clients without SNI, asyncpg has it.
_DROPPED_QUIETLY: Final = frozenset({"channel_binding"})


class InvalidDatabaseUrl(ValueError):
    """The URL is not a PostgreSQL URL we can use. The message never contains the password."""


class PoolerMode:
    AUTO: Final = "auto"
    PGBOUNCER: Final = "pgbouncer"
    NONE: Final = "none"
    ALL: Final = frozenset({AUTO, PGBOUNCER, NONE})


@dataclass(frozen=True, slots=True)
class ConnectionTarget:
    url: URL
    connect_args: dict[str, Any] = field(default_factory=dict)
    server_settings: dict[str, str] = field(default_factory=dict)
    behind_pgbouncer: bool = False
    dropped: tuple[str, ...] = ()

    @property
    def safe_description(self) -> str:
        """For logs: host and database, never credentials."""
        return f"{self.url.host or self.url.query.get('host', 'local socket')}/{self.url.database}"


def is_pooler_host(host: str | None) -> bool:
    """Neon's pooled endpoints are `<endpoint>-pooler.<region>...`."""
    return bool(host) and host.split(".", 1)[0].endswith("-pooler")  # type: ignore[union-attr]


@functools.lru_cache(maxsize=16)
def parse_database_url(raw: str, pooler: str = PoolerMode.AUTO) -> ConnectionTarget:
    """Pure, and cached: callers must not mutate the dictionaries of the result."""
    try:
        url = make_url(raw)
    except Exception as exc:
        raise InvalidDatabaseUrl("DATABASE_URL is not a valid URL") from exc
    if url.drivername not in _ACCEPTED_SCHEMES:
        raise InvalidDatabaseUrl(
            "DATABASE_URL must start with postgresql://, postgres:// or postgresql+asyncpg://"
        )
    if not url.database:
        raise InvalidDatabaseUrl("DATABASE_URL must name a database")
    if pooler not in PoolerMode.ALL:
        raise InvalidDatabaseUrl(f"the pooler must be one of {sorted(PoolerMode.ALL)}")

    query = {key: _single(value) for key, value in url.query.items()}
    kept, connect_args, server_settings, dropped = _translate(query)

    behind_pgbouncer = pooler == PoolerMode.PGBOUNCER or (
        pooler == PoolerMode.AUTO and is_pooler_host(url.host)
    )
    return ConnectionTarget(
        url=url.set(drivername=ASYNC_DRIVER, query=kept),
        connect_args=connect_args,
        server_settings=server_settings,
        behind_pgbouncer=behind_pgbouncer,
        dropped=tuple(dropped),
    )


def log_dropped_parameters(target: ConnectionTarget) -> None:
    """Say once, at engine creation, what the URL asked for that asyncpg cannot do."""
    for name in target.dropped:
        if name in _DROPPED_QUIETLY:
            _log.info(
                "DATABASE_URL parameter %r is not supported by asyncpg; TLS still follows sslmode", name
            )
        else:
            _log.warning("DATABASE_URL parameter %r has no asyncpg equivalent and is ignored", name)


def _translate(query: dict[str, str]) -> tuple[dict[str, str], dict[str, Any], dict[str, str], list[str]]:
    """libpq query parameters: (kept in the URL, asyncpg arguments, server settings, dropped)."""
    query = dict(query)
    kept: dict[str, str] = {}
    connect_args: dict[str, Any] = {}
    server_settings: dict[str, str] = {}
    dropped: list[str] = []
    sslmode = query.pop("sslmode", None) or query.pop("ssl", None)
    root_cert = query.pop("sslrootcert", None)
    if sslmode is not None:
        connect_args["ssl"] = _ssl_argument(sslmode, root_cert)
    elif root_cert is not None:
        dropped.append("sslrootcert")
    for key, value in query.items():
        if key in {"host", "port"}:
            kept[key] = value  # `host` may be a unix-socket directory; SQLAlchemy's dialect reads it
        elif key == "connect_timeout":
            connect_args["timeout"] = _positive_number(key, value)
        elif key == "application_name":
            server_settings["application_name"] = value
        elif key == "options":
            server_settings.update(_options(value, dropped))
        elif key == "target_session_attrs":
            connect_args["target_session_attrs"] = value
        else:
            dropped.append(key)
    return kept, connect_args, server_settings, dropped


def _single(value: str | tuple[str, ...]) -> str:
    return value if isinstance(value, str) else value[-1]


def _ssl_argument(mode: str, root_cert: str | None) -> str | ssl.SSLContext:
    if mode not in _SSL_MODES:
        raise InvalidDatabaseUrl(f"sslmode must be one of {', '.join(sorted(_SSL_MODES))}")
    if root_cert is None or mode not in {"verify-ca", "verify-full"}:
        # asyncpg understands libpq's sslmode names itself (verify-* use the system CA store).
        return mode
    context = ssl.create_default_context(cafile=root_cert)
    # verify-ca checks the chain but not the host name, as libpq does.
    context.check_hostname = mode == "verify-full"
    return context


def _positive_number(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise InvalidDatabaseUrl(f"{name} must be a number of seconds") from None
    if number <= 0:
        raise InvalidDatabaseUrl(f"{name} must be positive")
    return number


def _options(value: str, dropped: list[str]) -> dict[str, str]:
    """libpq `options`: `-c name=value` pairs become server settings; anything else is dropped."""
    settings: dict[str, str] = {}
    words = value.replace("-c ", "-c").split()
    for word in words:
        setting = word.removeprefix("-c")
        name, sep, setting_value = setting.partition("=")
        if word.startswith("-c") and sep and name:
            settings[name] = setting_value
        else:
            dropped.append(f"options:{name or word}")
    return settings
