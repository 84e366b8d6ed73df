"""`seatledger serve` bounds what a slow or hostile client can hold: header
and body deadlines, an idle limit, a header size cap and a connection cap.
Raw sockets against a real server; every wait is bounded."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import KEY, Server, server_env, start_server, stop_server

BOUND_S = 20  # far above the 1 s limits the servers here run with
GET = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"


def serve(tmp: Path, **limits: str) -> Iterator[Server]:
    env = server_env("sqlite", tmp, None)
    env |= {f"SEATLEDGER_{k.upper()}": v for k, v in limits.items()}
    server = start_server(env, tmp)
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Every deadline 1 s."""
    yield from serve(
        tmp_path_factory.mktemp("strict"),
        header_timeout_s="1",
        body_timeout_s="1",
        keep_alive_timeout_s="1",
    )


def connect(server: Server) -> socket.socket:
    url = urlsplit(server.base_url)
    sock = socket.create_connection((url.hostname, url.port), timeout=BOUND_S)
    return sock


def until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (a timeout fails the test)."""
    received = b""
    with sock:
        while chunk := sock.recv(65536):
            received += chunk
    return received


def test_a_connection_that_sends_nothing_is_answered_408(strict: Server) -> None:
    assert until_closed(connect(strict)).startswith(b"HTTP/1.1 408 ")


def test_headers_that_do_not_end_are_answered_408(strict: Server) -> None:
    sock = connect(strict)
    sock.sendall(GET)
    assert until_closed(sock).startswith(b"HTTP/1.1 408 ")


def test_headers_sent_a_byte_at_a_time_still_meet_the_deadline(strict: Server) -> None:
    sock = connect(strict)
    sock.settimeout(0.2)
    sock.sendall(GET)
    deadline = time.monotonic() + BOUND_S
    answer = b""
    while not answer and time.monotonic() < deadline:
        try:
            sock.sendall(b"x")
            answer = sock.recv(65536)
        except TimeoutError:
            continue  # nothing yet: keep dripping
    sock.close()
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_body_that_does_not_end_is_cut_off(strict: Server) -> None:
    sock = connect(strict)
    sock.sendall(
        b"POST /v1/tenants HTTP/1.1\r\nHost: x\r\n"
        + f"Authorization: Bearer {KEY}\r\n".encode()
        + b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        + b'{"name": "Slow'
    )
    assert until_closed(sock) == b""  # the application saw a disconnect


def test_an_idle_connection_is_closed_after_its_response(strict: Server) -> None:
    sock = connect(strict)
    sock.sendall(GET + b"\r\n")
    received = until_closed(sock)
    assert received.startswith(b"HTTP/1.1 200 ") and received.count(b"HTTP/1.1") == 1


def test_headers_over_the_cap_are_answered_431(strict: Server) -> None:
    sock = connect(strict)
    sock.sendall(GET + b"X-Big: " + b"a" * 20_000 + b"\r\n\r\n")
    assert until_closed(sock).startswith(b"HTTP/1.1 431 ")


def test_an_endless_header_is_refused_before_it_ends(strict: Server) -> None:
    sock = connect(strict)
    sock.sendall(GET + b"X-Big: " + b"a" * 1024 * 1024)  # never ends
    assert until_closed(sock).startswith(b"HTTP/1.1 431 ")


def test_headers_under_the_cap_are_served(strict: Server) -> None:
    sock = connect(strict)
    sock.sendall(GET + b"X-Big: " + b"a" * 15_000 + b"\r\n\r\n")
    assert until_closed(sock).startswith(b"HTTP/1.1 200 ")


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve(
        tmp_path_factory.mktemp("capped"),
        max_connections="2",
        keep_alive_timeout_s="60",
    )


def served(server: Server) -> socket.socket:
    """An open connection that has been served once; retried for a while in
    case the server still counts the connection its start-up check used."""
    deadline = time.monotonic() + BOUND_S
    while True:
        sock = connect(server)
        sock.sendall(GET + b"\r\n")
        if sock.recv(65536).startswith(b"HTTP/1.1 200 "):
            return sock
        sock.close()
        assert time.monotonic() < deadline, "the server kept refusing"
        time.sleep(0.2)


def test_connections_beyond_the_cap_are_answered_503(capped: Server) -> None:
    held = [served(capped), served(capped)]
    refused = until_closed(connect(capped))
    assert refused.startswith(b"HTTP/1.1 503 ") and b"retry-after: 1" in refused
    held.pop().close()
    held.append(served(capped))  # a freed slot is usable again
    for sock in held:
        sock.close()
