"""A real PgBouncer in transaction mode, in front of the test PostgreSQL, started by the tests."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.support.services import free_port


def _binary() -> str:
    found = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
    )
    if found is None:
        raise RuntimeError("pgbouncer is not installed: run scripts/ensure-test-services.sh (make test does)")
    return found


def _run_as(server_host: str) -> str | None:
    """PgBouncer refuses to run as root: borrow the user that can reach the server's socket."""
    if os.geteuid() != 0:
        return None
    if server_host.startswith("/"):
        return pwd.getpwuid(Path(server_host).stat().st_uid).pw_name
    return "nobody"


@contextmanager
def pgbouncer(server_url: str) -> Iterator[str]:
    """Yield a URL that reaches `server_url`'s database through PgBouncer (pool_mode=transaction)."""
    server = make_url(server_url)
    host = server.host or str(server.query.get("host", "/var/run/postgresql"))
    user = server.username or "postgres"
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="taskhub-pgbouncer-"))
    # PgBouncer may run as another user (never root): it writes its log and pid file here.
    folder.chmod(0o777)
    (folder / "users.txt").write_text(f'"{user}" ""\n')
    (folder / "pgbouncer.ini").write_text(
        "\n".join(
            [
                "[databases]",
                f"taskhub = host={host} port={server.port or 5432} dbname={server.database} user={user}",
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                f"listen_port = {port}",
                "unix_socket_dir =",
                "auth_type = trust",
                f"auth_file = {folder / 'users.txt'}",
                "pool_mode = transaction",
                "default_pool_size = 5",
                # Test apps open and close pools quickly; PgBouncer frees client slots lazily.
                "max_client_conn = 2000",
                f"logfile = {folder / 'pgbouncer.log'}",
                f"pidfile = {folder / 'pgbouncer.pid'}",
                "",
            ]
        )
    )
    for child in folder.iterdir():
        child.chmod(0o666)
    command = [_binary(), str(folder / "pgbouncer.ini")]
    if (run_as := _run_as(host)) is not None:
        command[1:1] = ["-u", run_as]
    # PgBouncer logs every login to stderr as well: into a pipe nobody reads, it would block once
    # the pipe's buffer is full (a few hundred logins) and stop answering. A file never fills.
    errors = (folder / "stderr.txt").open("wb")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors)  # noqa: S603
    try:
        _wait_for_port(port, process, folder / "stderr.txt")
        yield f"postgresql://{user}@127.0.0.1:{port}/taskhub"
    finally:
        process.terminate()
        process.wait(timeout=10)
        errors.close()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], errors: Path, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = errors.read_text(errors="replace")
            raise RuntimeError(f"pgbouncer exited with {process.returncode}: {error}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("pgbouncer did not start listening")
