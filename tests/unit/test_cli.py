"""The taskhub command: tokens for development, and one-line errors instead of tracebacks."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from taskhub.adapters.jose_tokens import JoseTokenVerifier
from taskhub.entrypoints.cli import CliError, main, parse_ttl

SECRET = "cli-test-secret-0123456789abcdef0123"


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("BETTER_AUTH_SECRET", "DATABASE_URL", "TASKHUB_ENV", "JWT_ISSUER", "JWT_AUDIENCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TASKHUB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


async def test_token_mints_a_token_the_service_accepts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BETTER_AUTH_SECRET", SECRET)
    assert main(["token", "--sub", "alice", "--ttl", "15m"]) == 0
    token = capsys.readouterr().out.strip()
    assert await JoseTokenVerifier(SECRET).verify(token) == "alice"


def test_token_refuses_to_run_without_a_secret(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "--sub", "alice"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("taskhub: error: no BETTER_AUTH_SECRET")
    assert "Traceback" not in error


async def test_token_uses_the_development_secret_kept_by_serve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "dev-secret").write_text(SECRET + "\n")
    assert main(["token", "--sub", "bob"]) == 0
    assert await JoseTokenVerifier(SECRET).verify(capsys.readouterr().out.strip()) == "bob"


def test_a_bad_setting_is_one_line_on_stderr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BETTER_AUTH_SECRET", "short")
    assert main(["token", "--sub", "alice"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "BETTER_AUTH_SECRET must be at least 32 bytes" in error


@pytest.mark.parametrize(("text", "expected"), [("30s", 30), ("15m", 900), ("1h", 3600), ("7d", 604800)])
def test_ttl_accepts_seconds_minutes_hours_days(text: str, expected: int) -> None:
    assert parse_ttl(text) == timedelta(seconds=expected)


@pytest.mark.parametrize("text", ["", "1", "1w", "0s", "31d", "-1h", "1.5h"])
def test_ttl_refuses_anything_else(text: str) -> None:
    with pytest.raises(CliError):
        parse_ttl(text)


def test_token_refuses_an_empty_subject(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BETTER_AUTH_SECRET", SECRET)
    assert main(["token", "--sub", ""]) == 2
