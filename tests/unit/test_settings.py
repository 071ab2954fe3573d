"""Settings: read from the environment, validated at start, with messages that name the variable."""

from __future__ import annotations

import pytest

from taskhub.entrypoints.settings import Environment, Settings, SettingsError

SECRET = "s" * 32


def test_defaults_are_a_local_development_server() -> None:
    settings = Settings.from_env({})
    assert (settings.environment, settings.host, settings.port, settings.workers) == (
        Environment.DEVELOPMENT,
        "127.0.0.1",
        8000,
        1,
    )
    assert settings.database_url is None
    assert settings.max_body_bytes == 64 * 1024
    assert settings.migrate_on_start is True


def test_values_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "HOST": "0.0.0.0",  # noqa: S104 - a value under test, not a bind
            "PORT": "9000",
            "WORKERS": "4",
            "DATABASE_URL": "postgres://u:p@db.example.com/tasks",
            "BETTER_AUTH_SECRET": SECRET,
            "DB_POOL_SIZE": "20",
            "DB_READ_POOL_SIZE": "7",
            "DB_POOL_TIMEOUT_SECONDS": "1.5",
        }
    )
    assert (settings.host, settings.port, settings.workers) == ("0.0.0.0", 9000, 4)  # noqa: S104
    assert settings.database_url == "postgres://u:p@db.example.com/tasks"
    assert (settings.pool.size, settings.pool.acquire_timeout_seconds) == (20, 1.5)
    assert settings.pool.read_size == 7


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"BETTER_AUTH_SECRET": "too-short"}, "BETTER_AUTH_SECRET"),
        ({"DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL"),
        ({"DATABASE_URL": "not a url at all"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://u@h"}, "DATABASE_URL"),
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"WORKERS": "0"}, "WORKERS"),
        ({"TASKHUB_ENV": "staging"}, "TASKHUB_ENV"),
        ({"MIGRATE_ON_START": "maybe"}, "MIGRATE_ON_START"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(env: dict[str, str], names: str) -> None:
    with pytest.raises(SettingsError, match=names):
        Settings.from_env(env)


def test_a_bad_database_url_message_never_contains_the_password() -> None:
    with pytest.raises(SettingsError) as exc:
        Settings.from_env({"DATABASE_URL": "mysql://user:hunter2@host/db"})
    assert "hunter2" not in str(exc.value)


def test_a_too_short_secret_is_not_echoed() -> None:
    with pytest.raises(SettingsError) as exc:
        Settings.from_env({"BETTER_AUTH_SECRET": "hunter2"})
    assert "hunter2" not in str(exc.value)


def test_production_requires_a_database_and_a_secret() -> None:
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        Settings.from_env({"TASKHUB_ENV": "production", "BETTER_AUTH_SECRET": SECRET})
    with pytest.raises(SettingsError, match="BETTER_AUTH_SECRET"):
        Settings.from_env({"TASKHUB_ENV": "production", "DATABASE_URL": "postgresql://h/db"})


def test_production_does_not_migrate_on_start_unless_asked() -> None:
    env = {"TASKHUB_ENV": "production", "DATABASE_URL": "postgresql://h/db", "BETTER_AUTH_SECRET": SECRET}
    assert Settings.from_env(env).migrate_on_start is False
    assert Settings.from_env({**env, "MIGRATE_ON_START": "true"}).migrate_on_start is True


def test_better_auth_url_turns_on_jwks_mode_with_its_issuer_and_audience() -> None:
    settings = Settings.from_env({"BETTER_AUTH_URL": "https://app.example.com/"})
    assert settings.jwks_url == "https://app.example.com/api/auth/jwks"
    assert (settings.jwks_issuer, settings.jwks_audience) == ("https://app.example.com",) * 2
    assert (settings.jwt_issuer, settings.jwt_audience) == (None, None)


def test_explicit_jwks_url_issuer_and_audience_override_the_defaults() -> None:
    settings = Settings.from_env(
        {
            "BETTER_AUTH_URL": "https://app.example.com",
            "BETTER_AUTH_JWKS_URL": "https://keys.example.com/jwks.json",
            "JWT_ISSUER": "issuer",
            "JWT_AUDIENCE": "taskhub",
        }
    )
    assert settings.jwks_url == "https://keys.example.com/jwks.json"
    assert (settings.jwks_issuer, settings.jwks_audience) == ("issuer", "taskhub")


@pytest.mark.parametrize("name", ["BETTER_AUTH_URL", "BETTER_AUTH_JWKS_URL"])
@pytest.mark.parametrize("value", ["ftp://x", "app.example.com", "https://"])
def test_auth_urls_must_be_http_urls(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_production_accepts_jwks_mode_without_a_secret() -> None:
    env = {"TASKHUB_ENV": "production", "DATABASE_URL": "postgresql://h/db", "BETTER_AUTH_URL": "https://a.b"}
    assert Settings.from_env(env).auth_secret is None
