"""Every REDIS_URL form the settings accept counts rate limits in a real Redis: `redis://`,
`rediss://` (TLS) and `unix://` (a socket). A form that reached the store broken would fail open
on every request, silently: here each one must count."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from taskhub.entrypoints.http.metrics import RATE_LIMIT_ERRORS
from taskhub.entrypoints.http.rate_limit import RateLimits, limits_storage_uri
from taskhub.entrypoints.settings import Settings, SettingsError
from tests.factories import FixedClock
from tests.support.services import free_port, own_redis, redis_server


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="taskhub-redis-") as name:
        yield Path(name)


def _connectable(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX) as sock:
        return sock.connect_ex(str(path)) == 0


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def unix_url(folder: Path) -> Iterator[str]:
    path = folder / "redis.sock"
    with own_redis("--port", "0", "--unixsocket", str(path), ready=lambda: _connectable(path)):
        yield f"unix://{path}?db=0"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, and its key: the server's, and the CA the client trusts."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "taskhub test redis")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


@pytest.fixture(scope="module")
def tls_url(folder: Path) -> Iterator[str]:
    cert, key = self_signed(folder)
    port = free_port()
    arguments = (
        "--port",
        "0",
        "--tls-port",
        str(port),
        "--tls-cert-file",
        str(cert),
        "--tls-key-file",
        str(key),
    )
    arguments += ("--tls-ca-cert-file", str(cert), "--tls-auth-clients", "no")
    with own_redis(*arguments, ready=lambda: _listening(port)):
        yield f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={cert}"


@pytest.fixture(scope="module")
def tcp_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.mark.parametrize("form", ["tcp_url", "tls_url", "unix_url"])
async def test_each_redis_url_form_counts_in_redis(form: str, request: pytest.FixtureRequest) -> None:
    url: str = request.getfixturevalue(form)
    assert Settings.from_env({"REDIS_URL": url}).redis_url == url
    # A clock that stands still: the three hits cannot straddle a minute's edge.
    still = FixedClock(datetime.datetime.now(datetime.UTC))
    limits = RateLimits(per_user=5, per_address=5, clock=still, redis_url=url)
    failures_before = RATE_LIMIT_ERRORS._value.get()  # type: ignore[attr-defined]
    user = f"redis-form-{form}-{socket.gethostname()}-{id(limits)}"
    remaining = [(await limits.for_user(user)).remaining for _ in range(3)]
    assert remaining == [4, 3, 2]
    assert RATE_LIMIT_ERRORS._value.get() == failures_before  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("url", "uri"),
    [
        ("redis://cache:6379/0", "async+redis://cache:6379/0"),
        ("rediss://:secret@cache:6380/1", "async+rediss://:secret@cache:6380/1"),
        ("unix:///run/redis.sock?db=2", "async+redis+unix:///run/redis.sock?db=2"),
    ],
)
def test_each_form_is_named_as_the_limits_library_names_it(url: str, uri: str) -> None:
    assert limits_storage_uri(url) == uri


@pytest.mark.parametrize("url", ["http://cache:6379", "redis+sentinel://cache", "cache:6379"])
def test_other_forms_are_refused_at_start_up_in_one_line(url: str) -> None:
    with pytest.raises(SettingsError, match="REDIS_URL must be a redis://, rediss:// or unix:// URL"):
        Settings.from_env({"REDIS_URL": url})
