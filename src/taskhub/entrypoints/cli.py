"""The `taskhub` command: serve, migrate, token."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import secrets
import shutil
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Final

from dotenv import load_dotenv

from taskhub.adapters.jose_tokens import mint_shared_secret_token
from taskhub.adapters.postgres.embedded import EmbeddedPostgres
from taskhub.adapters.postgres.migrations import upgrade
from taskhub.application.maintenance import PurgeReport
from taskhub.domain.model import UserId, is_valid_user_id
from taskhub.entrypoints.container import Container
from taskhub.entrypoints.logs import configure_logging, json_line, wants_json
from taskhub.entrypoints.server import serve
from taskhub.entrypoints.settings import Settings, SettingsError
from taskhub.ports.repositories import StorageUnavailable

_DEV_SECRET_FILE: Final = "dev-secret"  # noqa: S105 - a file name
_TTL = re.compile(r"(\d+)([smhd])")
_TTL_UNITS: Final = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_MAX_TTL: Final = timedelta(days=30)


class CliError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    load_dotenv(Path.cwd() / ".env", override=False)
    try:
        result: int = args.run(args)
    except (SettingsError, CliError) as exc:
        # In production every line is JSON, this one too (a log shipper reads them all).
        if wants_json(os.environ):
            print(json_line("error", "taskhub.cli", str(exc)), file=sys.stderr, flush=True)
        else:
            print(f"taskhub: error: {exc}", file=sys.stderr)
        return 2
    return result


def _say(settings: Settings, message: str) -> None:
    """What a command reports when it is done: a line for a person, or a JSON log line."""
    if settings.log_format == "json":
        logging.getLogger("taskhub.cli").info(message)
    else:
        print(f"taskhub: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="taskhub", description="The taskhub task service.")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the HTTP API (HOST, PORT, WORKERS from the environment)")
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", help="upgrade the database schema to the latest revision")
    migrate.set_defaults(run=_migrate)

    purge = commands.add_parser(
        "purge",
        help="delete expired idempotency keys and old tombstones (safe to run from cron on every instance)",
    )
    purge.set_defaults(run=_purge)

    erase = commands.add_parser(
        "erase-user",
        help="erase everything stored for a user, in one transaction (for Better Auth's user deletion)",
    )
    erase.add_argument("--sub", required=True, help="the user id (the token's sub) to erase")
    erase.set_defaults(run=_erase_user)

    token = commands.add_parser("token", help="mint a development HS256 token with BETTER_AUTH_SECRET")
    token.add_argument("--sub", required=True, help="the user id the token speaks for")
    token.add_argument("--ttl", default="1h", help="lifetime such as 30m, 1h, 7d (default 1h, at most 30d)")
    token.set_defaults(run=_token)
    return parser


def _settings() -> Settings:
    return Settings.from_env(os.environ)


def _serve(_: argparse.Namespace) -> int:
    import uvicorn  # noqa: PLC0415 - only the serve command needs the server

    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    with _database(settings) as database_url:
        if not settings.is_production and not settings.has_token_keys:
            os.environ["BETTER_AUTH_SECRET"] = _dev_secret(settings.data_dir, create=True)
        # Worker processes build their app from the environment: hand them what we resolved.
        os.environ["DATABASE_URL"] = database_url
        settings = _settings()
        if settings.workers > 1 and settings.metrics_enabled:
            _prepare_multiprocess_metrics(settings.data_dir)
        if settings.migrate_on_start:
            upgrade(database_url, pooler=settings.database_pooler)
        if settings.log_format == "console":
            _print_banner(settings)
        config = uvicorn.Config(
            "taskhub.entrypoints.app:create_app_from_env",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            loop="uvloop",
            http="httptools",
            log_config=None,
            access_log=False,
            # Forwarded headers are handled by the app, from TRUSTED_PROXIES only.
            proxy_headers=False,
            server_header=False,
            timeout_graceful_shutdown=20,
        )
        with _stop_on_signals():
            serve(config, settings.shutdown_drain_seconds, settings.data_dir)
    return 0


def _prepare_multiprocess_metrics(data_dir: Path) -> None:
    """Workers write their samples to files here; /metrics adds them up (prometheus-client)."""
    folder = Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or data_dir / "metrics")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


class _Stopped(Exception):
    """SIGTERM or SIGINT arrived and the server has finished its graceful shutdown."""


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """Turn the stop signal into a clean exit, so the embedded database is stopped too.

    uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal through the
    handlers that were there before it started. Ours raises an exception instead of killing
    the process, which lets the `finally` blocks around the server run.
    """

    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Stopped()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    except _Stopped:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _migrate(_: argparse.Namespace) -> int:
    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    with _database(settings) as database_url:
        upgrade(database_url, pooler=settings.database_pooler)
    _say(settings, "database schema is up to date")
    return 0


def _erase_user(arguments: argparse.Namespace) -> int:
    owner = str(arguments.sub)
    if not is_valid_user_id(owner):
        raise CliError("--sub must be a user id: 1..255 characters, no control characters")
    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    with _database(settings) as database_url:
        container = Container(settings=replace(settings, database_url=database_url))

        async def run() -> int:
            try:
                return await container.account_service().erase(UserId(owner))
            finally:
                await container.write_pool().close()
                await container.read_pool().close()

        try:
            rows = asyncio.run(run())
        except StorageUnavailable as exc:
            raise CliError("the database is unavailable") from exc
    # The user id is not repeated: the operator knows whom they erased, the logs need not.
    _say(settings, f"erased the user: {rows} rows deleted")
    return 0


def _purge(_: argparse.Namespace) -> int:
    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    with _database(settings) as database_url:
        container = Container(settings=replace(settings, database_url=database_url))

        async def run() -> PurgeReport:
            try:
                return await container.maintenance().purge()
            finally:
                await container.write_pool().close()
                await container.read_pool().close()

        try:
            report = asyncio.run(run())
        except StorageUnavailable as exc:
            raise CliError("the database is unavailable") from exc
    _say(
        settings,
        f"purged {report.idempotency_keys} expired idempotency keys "
        f"and {report.tombstones} tombstones past the retention",
    )
    return 0


def _token(args: argparse.Namespace) -> int:
    settings = _settings()
    secret = settings.auth_secret
    if secret is None and not settings.is_production:
        secret = _dev_secret(settings.data_dir, create=False)
    if not secret:
        raise CliError("no BETTER_AUTH_SECRET is configured (set it, or run `make run` once in development)")
    if not is_valid_user_id(args.sub):
        raise CliError("--sub must be 1 to 255 characters without control characters")
    ttl = parse_ttl(args.ttl)
    print(
        mint_shared_secret_token(
            secret, args.sub, ttl, issuer=settings.jwt_issuer, audience=settings.jwt_audience
        )
    )
    return 0


def parse_ttl(text: str) -> timedelta:
    match = _TTL.fullmatch(text.strip())
    if match is None:
        raise CliError("--ttl must look like 30s, 15m, 1h or 7d")
    ttl = timedelta(**{_TTL_UNITS[match.group(2)]: int(match.group(1))})
    if not timedelta(0) < ttl <= _MAX_TTL:
        raise CliError("--ttl must be more than 0 and at most 30d")
    return ttl


@contextmanager
def _database(settings: Settings) -> Iterator[str]:
    """The configured database, or (development only) the embedded one for the duration."""
    if settings.database_url is not None:
        yield settings.database_url
        return
    embedded = EmbeddedPostgres(settings.embedded_pgdata)
    try:
        url = embedded.start()
    except RuntimeError as exc:
        raise CliError(str(exc)) from None
    try:
        yield url
    finally:
        embedded.stop()


def _dev_secret(data_dir: Path, *, create: bool) -> str:
    """A development secret kept in the data folder, so tokens survive restarts."""
    path = data_dir / _DEV_SECRET_FILE
    if path.is_file():
        return path.read_text().strip()
    if not create:
        return ""
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(secret + "\n")
    return secret


def _print_banner(settings: Settings) -> None:
    base = f"http://{settings.host}:{settings.port}"
    print(
        f"taskhub is starting on {base}\n"
        f"  health:  {base}/health/live\n"
        f"  docs:    {base}/schema\n"
        f"  a token: .venv/bin/taskhub token --sub alice\n"
        f'  then:    curl -H "Authorization: Bearer $TOKEN" {base}/api/tasks',
        flush=True,
    )


if __name__ == "__main__":
    raise SystemExit(main())
