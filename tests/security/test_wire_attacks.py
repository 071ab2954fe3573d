"""Malformed HTTP on the wire, against a real `taskhub serve`: no 5xx, nothing written."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from taskhub.adapters.postgres.migrations import upgrade
from tests.http.conftest import token_for
from tests.support.services import Service, running_service, service_environment

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def service(fresh_database: Callable[[], str]) -> Iterator[Service]:
    url = fresh_database()
    upgrade(url)
    with running_service(service_environment(url)) as running:
        yield running


def exchange(service: Service, raw: bytes, *, timeout: float = 5) -> bytes:
    address = urlsplit(service.base_url)
    with socket.create_connection((address.hostname, address.port), timeout=timeout) as sock:
        sock.sendall(raw)
        # No half-close: uvicorn takes EOF as the client leaving. "Connection: close" ends it.
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            pass
    return received


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1 ") else 0


def count_tasks(service: Service, user: str) -> int:
    listed = httpx.get(
        f"{service.base_url}/api/tasks?limit=100", headers={"Authorization": f"Bearer {token_for(user)}"}
    )
    return len(listed.json()["items"])


def request(path: str, *headers: str, body: bytes = b"", method: str = "GET") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", *headers, "Connection: close", "", ""]
    return "\r\n".join(lines).encode("latin-1") + body


def test_crlf_in_a_request_id_cannot_inject_a_header(service: Service) -> None:
    response = exchange(service, request("/health/live", "X-Request-ID: abc\r\nSet-Cookie: pwned=1"))
    assert b"pwned" not in response.split(b"\r\n\r\n")[0].lower().replace(b"x-request-id", b"")
    assert status_of(response) in {200, 400}


def test_a_bare_cr_or_lf_in_a_header_is_refused(service: Service) -> None:
    response = exchange(
        service, b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Request-ID: a\rSet-Cookie: b\r\n\r\n"
    )
    assert status_of(response) in {0, 400}


def test_an_oversized_header_is_refused_without_a_server_error(service: Service) -> None:
    response = exchange(service, request("/api/tasks", "X-Filler: " + "a" * 200_000))
    assert status_of(response) in {0, 400, 431}


def test_a_huge_authorization_header_is_401_not_a_crash(service: Service) -> None:
    response = exchange(service, request("/api/tasks", "Authorization: Bearer " + "a" * 60_000))
    assert status_of(response) in {400, 401, 431}


def test_a_content_length_longer_than_the_body_writes_nothing(service: Service) -> None:
    user = f"liar-{uuid.uuid4().hex[:8]}"
    body = b'{"title": "never"}'
    raw = request(
        "/api/tasks",
        f"Authorization: Bearer {token_for(user)}",
        "Content-Type: application/json",
        f"Content-Length: {len(body) + 100}",
        body=body,
        method="POST",
    )
    response = exchange(service, raw)
    assert status_of(response) in {0, 400}
    assert count_tasks(service, user) == 0


def test_a_content_length_shorter_than_the_body_is_not_smuggled(service: Service) -> None:
    user = f"smuggler-{uuid.uuid4().hex[:8]}"
    token = token_for(user)
    smuggled = request(
        "/api/tasks",
        f"Authorization: Bearer {token}",
        "Content-Type: application/json",
        "Content-Length: 19",
        body=b'{"title": "hidden"}',
        method="POST",
    )
    body = b'{"title": "shown"}' + smuggled
    raw = request(
        "/api/tasks",
        f"Authorization: Bearer {token}",
        "Content-Type: application/json",
        "Content-Length: 18",
        body=body,
        method="POST",
    )
    response = exchange(service, raw)
    assert status_of(response) == 201
    # The extra bytes may be read as a second request on this connection, but only as a request
    # of the same client with the same token: nothing crosses to another user or another meaning.
    titles = httpx.get(f"{service.base_url}/api/tasks", headers={"Authorization": f"Bearer {token}"}).json()[
        "items"
    ]
    assert {t["title"] for t in titles} <= {"shown", "hidden"}


def test_a_declared_body_over_the_limit_is_413_before_it_is_read(service: Service) -> None:
    raw = request(
        "/api/tasks",
        f"Authorization: Bearer {token_for('big')}",
        "Content-Type: application/json",
        "Content-Length: 10000000",
        body=b"{",
        method="POST",
    )
    assert status_of(exchange(service, raw)) == 413


def test_conflicting_length_headers_are_refused(service: Service) -> None:
    raw = request(
        "/api/tasks",
        f"Authorization: Bearer {token_for('chunky')}",
        "Content-Type: application/json",
        "Content-Length: 5",
        "Transfer-Encoding: chunked",
        body=b"5\r\n{}\r\n0\r\n\r\n",
        method="POST",
    )
    assert status_of(exchange(service, raw)) in {0, 400, 422}
