"""The latency relay over real TCP: round trips take at least the RTT, the TCP handshake's
round trip is charged to the first bytes, bytes arrive in order, and an end of stream or
a reset reaches the other side.

Only lower bounds on time are asserted: a relay that delivers early is a bug, one that
is late on a busy machine is not.
"""

from __future__ import annotations

import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from kiosk.sandbox import Sandbox
from kiosk.sandbox.latency import LatencyRelay

RTT = 0.1


class Upstream:
    """A TCP server with one behaviour per accepted connection, on its own thread."""

    def __init__(self, serve: Callable[[socket.socket], None]) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.address = self.sock.getsockname()
        self.errors: list[BaseException] = []
        self.seen: list[bytes | BaseException] = []
        self._serve = serve
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            try:
                self._serve(conn)
            except OSError as exc:
                self.seen.append(exc)

    def close(self) -> None:
        self.sock.close()


def echo(conn: socket.socket) -> None:
    """Echo until the client's end of stream, then end ours."""
    while data := conn.recv(65536):
        conn.sendall(data)
    conn.shutdown(socket.SHUT_WR)


def connect(address: tuple[str, int]) -> socket.socket:
    """A client socket that gives up after 30 s rather than hang the run on a relay bug."""
    return socket.create_connection(address, timeout=30)


def recv_exactly(sock: socket.socket, n: int) -> bytes:
    out = bytearray()
    while len(out) < n:
        data = sock.recv(n - len(out))
        if not data:
            raise AssertionError(f"end of stream after {len(out)} of {n} bytes")
        out += data
    return bytes(out)


def hard_close(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.fixture
def echo_relay() -> Iterator[LatencyRelay]:
    up = Upstream(echo)
    with LatencyRelay(up.address, RTT) as relay:
        yield relay
    up.close()


def test_each_round_trip_takes_at_least_the_rtt_and_a_new_connection_one_more(
        echo_relay: LatencyRelay) -> None:
    t0 = time.monotonic()
    with connect(echo_relay.address) as sock:
        sock.sendall(b"ping")
        assert recv_exactly(sock, 4) == b"ping"
        first = time.monotonic() - t0
        times = []
        for _ in range(3):
            t = time.monotonic()
            sock.sendall(b"again")
            assert recv_exactly(sock, 5) == b"again"
            times.append(time.monotonic() - t)
    assert first >= 2 * RTT, first  # the TCP handshake's round trip, then the data's
    assert min(times) >= RTT, times


def test_bytes_arrive_in_order_beyond_the_in_flight_bound() -> None:
    up = Upstream(echo)
    payload = os.urandom(3 * 1024 * 1024)
    got = bytearray()
    with LatencyRelay(up.address, 0.02, max_in_flight=128 * 1024) as relay, \
            connect(relay.address) as sock:
        # Sending everything before reading would deadlock on any bounded path; read
        # alongside, as a real client does.
        def read() -> None:
            while data := sock.recv(65536):
                got.extend(data)

        reader = threading.Thread(target=read)
        reader.start()
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        reader.join(timeout=60)
    up.close()
    assert not reader.is_alive()
    assert bytes(got) == payload


def test_end_of_stream_reaches_each_side(echo_relay: LatencyRelay) -> None:
    with connect(echo_relay.address) as sock:
        sock.sendall(b"last words")
        sock.shutdown(socket.SHUT_WR)  # the echo server answers and ends its side on EOF
        assert recv_exactly(sock, 10) == b"last words"
        assert sock.recv(10) == b""
    closed = echo_relay.connections()
    assert [c.closed_by for c in closed] == ["client"]


def test_a_server_reset_reaches_the_client() -> None:
    def reset_after_hello(conn: socket.socket) -> None:
        conn.recv(100)
        conn.sendall(b"bye")
        hard_close(conn)

    up = Upstream(reset_after_hello)
    with LatencyRelay(up.address, RTT) as relay, connect(relay.address) as sock:
        sock.sendall(b"hello")
        with pytest.raises(ConnectionResetError):
            while sock.recv(100):
                pass
        assert relay.connections()[0].closed_by == "server"
    up.close()


def test_a_client_reset_reaches_the_server() -> None:
    got_reset = threading.Event()

    def wait_for_reset(conn: socket.socket) -> None:
        try:
            while conn.recv(100):
                pass
        except ConnectionResetError:
            got_reset.set()

    up = Upstream(wait_for_reset)
    with LatencyRelay(up.address, RTT) as relay:
        sock = connect(relay.address)
        sock.sendall(b"x")
        hard_close(sock)
        assert got_reset.wait(10)
        assert relay.connections()[0].closed_by == "client"
    up.close()


def test_an_upstream_that_refuses_is_a_reset_for_the_client() -> None:
    free = socket.create_server(("127.0.0.1", 0))
    address = free.getsockname()
    free.close()  # nothing listens there now
    with LatencyRelay(address, RTT) as relay:
        t0 = time.monotonic()
        with pytest.raises(ConnectionResetError), connect(relay.address) as sock:
            sock.recv(10)
        assert time.monotonic() - t0 >= RTT  # as late as a real refusal: one round trip
        assert relay.connections()[0].closed_by == "server"


def test_https_through_the_relay_pays_tcp_and_tls_once_then_one_round_trip() -> None:
    with Sandbox() as sb, LatencyRelay((sb.host, sb.port), RTT) as relay, \
            httpx.Client(base_url=relay.url(sb.base_url), verify=sb.verify) as client:
        t0 = time.monotonic()
        first = client.get("/pricing")
        cold = time.monotonic() - t0
        t1 = time.monotonic()
        second = client.get("/pricing")
        warm = time.monotonic() - t1
        assert first.status_code == second.status_code == 401  # no token: still an answer
        assert len(relay.connections()) == 1  # kept alive and reused
    assert cold >= 3 * RTT, cold  # TCP 1 RTT + TLS 1.3 1 RTT + the request
    assert warm >= RTT, warm
