"""DATABASE_URL as providers print it, table-driven."""

from __future__ import annotations

import ssl
from typing import Any

import pytest

from taskhub.adapters.postgres.engine import PoolSettings, connect_arguments
from taskhub.adapters.postgres.url import InvalidDatabaseUrl, parse_database_url

NEON_POOLED = (
    "postgresql://neondb_owner:npg_s3cr3t@ep-cool-darkness-a1b2c3d4-pooler.us-east-2.aws.neon.tech/neondb"
    "?sslmode=require&channel_binding=require"
)
NEON_DIRECT = NEON_POOLED.replace("-pooler", "")


@pytest.mark.parametrize(
    ("url", "host", "database", "ssl_mode", "pgbouncer"),
    [
        ("postgres://u:p@db.example.com/app", "db.example.com", "app", None, False),
        ("postgresql://u:p@db.example.com:6543/app", "db.example.com", "app", None, False),
        ("postgresql+asyncpg://u@localhost/app", "localhost", "app", None, False),
        (NEON_DIRECT, "ep-cool-darkness-a1b2c3d4.us-east-2.aws.neon.tech", "neondb", "require", False),
        (NEON_POOLED, "ep-cool-darkness-a1b2c3d4-pooler.us-east-2.aws.neon.tech", "neondb", "require", True),
        ("postgresql://u@h/app?sslmode=disable", "h", "app", "disable", False),
        ("postgresql://u@h/app?sslmode=prefer", "h", "app", "prefer", False),
        ("postgresql://u@h/app?sslmode=allow", "h", "app", "allow", False),
        ("postgresql://u@h/app?sslmode=verify-full", "h", "app", "verify-full", False),
        ("postgresql://u@h/app?sslmode=verify-ca", "h", "app", "verify-ca", False),
    ],
)
def test_provider_urls_are_understood(
    url: str, host: str, database: str, ssl_mode: str | None, pgbouncer: bool
) -> None:
    target = parse_database_url(url)
    assert target.url.drivername == "postgresql+asyncpg"
    assert (target.url.host, target.url.database) == (host, database)
    assert target.connect_args.get("ssl") == ssl_mode
    assert target.behind_pgbouncer is pgbouncer
    assert "sslmode" not in target.url.query
    assert "channel_binding" not in target.url.query


def test_passwords_with_special_characters_survive() -> None:
    target = parse_database_url("postgresql://user:p%40ss%3Aw%2Frd%23%3F@db.example.com/app")
    assert target.url.password == "p@ss:w/rd#?"
    assert target.url.username == "user"


def test_a_unix_socket_host_is_kept() -> None:
    target = parse_database_url("postgresql://postgres@/tasks?host=/var/run/postgresql")
    assert target.url.query == {"host": "/var/run/postgresql"}
    assert target.url.host is None


def test_libpq_only_parameters_are_dropped_and_named() -> None:
    target = parse_database_url(
        "postgresql://u@h/app?sslmode=require&channel_binding=require&gssencmode=disable&keepalives=1"
    )
    assert set(target.dropped) == {"channel_binding", "gssencmode", "keepalives"}
    assert target.url.query == {}


def test_connect_timeout_application_name_and_options_are_honoured() -> None:
    target = parse_database_url(
        "postgresql://u@h/app?connect_timeout=7&application_name=worker"
        "&options=-c%20search_path%3Dtasks%20-c%20lock_timeout%3D5s%20endpoint%3Dep-x"
    )
    assert target.connect_args["timeout"] == 7.0
    assert target.server_settings == {
        "application_name": "worker",
        "search_path": "tasks",
        "lock_timeout": "5s",
    }
    assert "options:endpoint" in target.dropped


def test_sslrootcert_builds_a_verifying_context(tmp_path: Any) -> None:
    import certifi  # noqa: PLC0415 - a CA bundle that certainly exists

    target = parse_database_url(f"postgresql://u@h/app?sslmode=verify-full&sslrootcert={certifi.where()}")
    context = target.connect_args["ssl"]
    assert isinstance(context, ssl.SSLContext)
    assert context.check_hostname is True
    assert context.verify_mode == ssl.CERT_REQUIRED


def test_the_pooler_can_be_forced_either_way() -> None:
    assert parse_database_url("postgresql://u@h/app", "pgbouncer").behind_pgbouncer is True
    assert parse_database_url(NEON_POOLED, "none").behind_pgbouncer is False


@pytest.mark.parametrize(
    "url",
    [
        "mysql://u@h/app",
        "postgresql://u@h",
        "postgresql://u@h/app?sslmode=sometimes",
        "postgresql://u@h/app?connect_timeout=soon",
        "://nonsense",
    ],
)
def test_unusable_urls_are_refused_without_echoing_them(url: str) -> None:
    with pytest.raises(InvalidDatabaseUrl) as exc:
        parse_database_url(url.replace("u@", "u:hunter2@"))
    assert "hunter2" not in str(exc.value)


def test_behind_pgbouncer_statement_caches_are_off_and_no_startup_timeout_is_sent() -> None:
    arguments = connect_arguments(parse_database_url(NEON_POOLED), PoolSettings(statement_timeout_ms=5000))
    assert arguments["statement_cache_size"] == 0
    assert arguments["prepared_statement_cache_size"] == 0
    assert arguments["prepared_statement_name_func"]() != arguments["prepared_statement_name_func"]()
    # Only what PgBouncer accepts at start-up (and sets on every server connection it lends).
    assert arguments["server_settings"] == {
        "application_name": "taskhub",
        "DateStyle": "ISO",
        "TimeZone": "UTC",
    }


def test_the_time_zone_and_date_style_of_a_url_give_way_to_utc_and_iso() -> None:
    url = f"{NEON_DIRECT}&options=-c%20TimeZone%3DEurope/Paris%20-c%20DateStyle%3DSQL"
    arguments = connect_arguments(parse_database_url(url), PoolSettings())
    assert arguments["server_settings"]["TimeZone"] == "UTC"
    assert arguments["server_settings"]["DateStyle"] == "ISO"


def test_a_direct_connection_sends_the_statement_timeout_at_start_up() -> None:
    arguments = connect_arguments(parse_database_url(NEON_DIRECT), PoolSettings(statement_timeout_ms=5000))
    assert arguments["server_settings"]["statement_timeout"] == "5000"
    assert "statement_cache_size" not in arguments
