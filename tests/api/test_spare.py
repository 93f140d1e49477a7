"""The spare connection, over real TCP: the kiosk's HTTP client talks to the sandbox
through the latency relay, which shows every connection, when it opened and who closed
it. A request must go over a connection opened before it, after the server closed the
last one too, and a spare must never send a request (so never count against the rate
limit nor spend a credit)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpcore
import httpx
import pytest

from kiosk.api.spare import SpareConnection
from kiosk.api.transport import make_http_client, trust_context
from kiosk.config import ApiConfig
from kiosk.sandbox import Sandbox
from kiosk.sandbox.latency import ConnectionInfo, LatencyRelay
from tests.helpers import wait_for

RTT = 0.05


class Link:
    """A sandbox behind a relay, and the daemon's HTTP client (keep_warm) to it."""

    def __init__(self, idle_timeout: float = 60.0) -> None:
        self.sandbox = Sandbox(idle_timeout=idle_timeout).start()
        self.relay = LatencyRelay((self.sandbox.host, self.sandbox.port), RTT).start()
        self.base = self.relay.url(self.sandbox.base_url)
        self.http = make_http_client(ApiConfig(base_url=self.base, ca_file=self.sandbox.ca_file),
                                     keep_warm=True)
        self.spare: SpareConnection = self.http._transport.spare

    def get(self) -> tuple[float, ConnectionInfo]:
        """GET /pricing (401 without a token: still a request); when it started and the
        connection that carried it."""
        started = time.monotonic()
        assert self.http.get(f"{self.base}/pricing").status_code == 401
        return started, max(self.relay.connections(), key=lambda c: c.last_byte_at)

    def until_idle_closed(self) -> None:
        """Wait until the server has closed every connection open now."""
        open_now = [c.number for c in self.relay.connections() if c.closed_by is None]
        wait_for(lambda: all(c.closed_by == "server" for c in self.relay.connections()
                             if c.number in open_now),
                 what="the server to close every idle connection")

    def close(self) -> None:
        self.http.close()
        self.relay.stop()
        self.sandbox.stop()


@pytest.fixture
def link() -> Iterator[Link]:
    lk = Link()
    yield lk
    lk.close()


@pytest.fixture
def idle_link() -> Iterator[Link]:
    lk = Link(idle_timeout=1.5)
    yield lk
    lk.close()


def test_the_first_request_goes_over_the_connection_opened_before_it(link: Link) -> None:
    assert link.spare.wait_ready(10)
    started, carried = link.get()
    assert carried.opened_at < started and link.spare.used == 1
    assert link.spare.wait_ready(10)  # and the next spare is open behind it
    link.get()  # the pool's own connection again, kept alive: no new connection
    assert len(link.relay.connections()) == 2
    assert link.sandbox.request_count() == 2  # only the two GETs: spares send nothing


def test_after_the_server_closed_an_idle_connection_the_next_request_takes_a_spare(
        idle_link: Link) -> None:
    link = idle_link
    assert link.spare.wait_ready(10)
    for _ in range(2):
        link.get()
        # The pool's connection and the spare opened beside it go idle together; the
        # next shopper comes once both are closed (and the spare opened again).
        link.until_idle_closed()
        assert link.spare.wait_ready(10)
        before = len(link.relay.connections())
        started, carried = link.get()
        assert carried.opened_at < started  # no handshake paid by the request
        assert link.spare.wait_ready(10)
        assert len(link.relay.connections()) == before + 1  # only the next spare
    assert link.sandbox.request_count() == 4


def test_a_spare_the_server_closes_is_opened_again_without_a_request(idle_link: Link) -> None:
    link = idle_link
    wait_for(lambda: sum(c.closed_by == "server" for c in link.relay.connections()) >= 3,
             what="the server to close three spares")
    # The relay can see the third close before the spare does: wait for its answer to it.
    wait_for(lambda: link.spare.opened >= 4, what="a fourth spare")
    assert link.spare.wait_ready(10)
    assert link.spare.used == 0
    assert link.sandbox.request_count() == 0


def test_a_spare_older_than_its_max_age_is_replaced() -> None:
    with Sandbox() as sb, LatencyRelay((sb.host, sb.port), RTT) as relay:
        ctx = trust_context(sb.ca_file)
        spare = SpareConnection(relay.address[0], relay.port, ctx, connect_timeout=5,
                                max_age=0.5).start()
        try:
            wait_for(lambda: any(c.closed_by == "client" for c in relay.connections()),
                     what="the first spare to be closed for its age")
            assert spare.wait_ready(10) and spare.opened >= 2
        finally:
            spare.close()
        assert sb.request_count() == 0


def test_without_a_server_requests_fail_as_before_and_close_does_not_hang() -> None:
    free = socket.create_server(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()  # nothing listens there
    ctx = trust_context(None)
    spare = SpareConnection("127.0.0.1", port, ctx, connect_timeout=1, max_age=60).start()
    with httpcore.ConnectionPool(ssl_context=ctx, network_backend=spare) as pool, \
            pytest.raises(httpcore.ConnectError):
        pool.request("GET", f"https://127.0.0.1:{port}/")
    spare.close()
    assert spare.opened == 0


@pytest.mark.parametrize("cfg", [
    ApiConfig(base_url="https://api.example.com/api/v1", proxy="http://proxy.lan:3128"),
    ApiConfig(base_url="http://127.0.0.1:8700/api/v1"),
], ids=["proxy", "plain-http"])
def test_no_spare_through_a_proxy_or_over_plain_http(cfg: ApiConfig) -> None:
    with make_http_client(cfg, keep_warm=True) as http:
        assert not hasattr(http._transport, "spare")


def test_no_spare_when_the_environment_names_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.lan:3128")
    with make_http_client(ApiConfig(base_url="https://api.example.com/api/v1"),
                          keep_warm=True) as http:
        assert not hasattr(http._transport, "spare")


@pytest.mark.slow
def test_an_idle_connection_outlives_httpx_default_five_seconds() -> None:
    with Sandbox() as sb, LatencyRelay((sb.host, sb.port), RTT) as relay, \
            make_http_client(ApiConfig(base_url=relay.url(sb.base_url),
                                       ca_file=sb.ca_file)) as http:
        url = f"{relay.url(sb.base_url)}/pricing"
        http.get(url)
        time.sleep(6.0)  # the scenario: the next shopper comes 6 s later
        http.get(url)
        assert len(relay.connections()) == 1
        assert isinstance(http, httpx.Client)
