"""Running `taskhub serve` as a real process, and finding (or starting) a Redis for it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

TASKHUB = str(Path(sys.executable).with_name("taskhub"))
SECRET = "test-only-shared-secret-0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_live(base: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"taskhub serve exited early with {process.returncode}")
        try:
            if httpx.get(f"{base}/health/live", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("taskhub serve did not become live in time")


def _reachable(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


@contextmanager
def redis_server() -> Iterator[str]:
    """TEST_REDIS_URL, the Redis CI machines run on 127.0.0.1:6379, or one started for the tests."""
    if configured := os.environ.get("TEST_REDIS_URL"):
        yield configured
        return
    if _reachable("127.0.0.1", 6379):
        yield "redis://127.0.0.1:6379/0"
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "no Redis: set TEST_REDIS_URL or install redis-server (scripts/ensure-test-services.sh)"
        )
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not _reachable("127.0.0.1", port):
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _redis_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is needed (scripts/ensure-test-services.sh says how to install it)")
    return binary


@contextmanager
def own_redis(*arguments: str, ready: Callable[[], bool]) -> Iterator[None]:
    """A redis-server of the test's own, with these arguments, until the block ends."""
    process = subprocess.Popen(  # noqa: S603
        [_redis_binary(), "--save", "", "--appendonly", "no", *arguments], stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


@dataclass
class Service:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


def service_environment(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("DATABASE_", "BETTER_AUTH", "JWT_", "REDIS_", "RATE_LIMIT", "CORS", "TRUSTED", "LOG_")
        )
    }
    return env | {
        "DATABASE_URL": database_url,
        "BETTER_AUTH_SECRET": SECRET,
        "MIGRATE_ON_START": "false",
        "HOST": "127.0.0.1",
        **extra,
    }


@contextmanager
def running_service(env: dict[str, str], *, timeout: float = 60) -> Iterator[Service]:
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="taskhub-service-"))
    log = folder / "output.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(  # noqa: S603
            [TASKHUB, "serve"],
            env={**env, "PORT": str(port), "TASKHUB_DATA_DIR": str(folder / "data")},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    service = Service(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"taskhub serve exited with {process.returncode}:\n{service.output()}")
            try:
                if httpx.get(f"{service.base_url}/health/live", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"taskhub serve did not start:\n{service.output()}")
            time.sleep(0.1)
        yield service
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def clear_of_a_rate_limit_window_edge(margin_seconds: float = 5.0) -> None:
    """Rate limits count in one-minute windows aligned to the clock: a test that expects a 429
    after N requests waits, when the minute is about to turn, until the new window has begun.
    Only for services run as processes of their own, which read the real clock; in-process apps
    are given a clock that stands still instead."""
    into_the_minute = time.time() % 60
    if into_the_minute > 60 - margin_seconds:
        time.sleep(60 - into_the_minute + 0.1)
