"""Each fault kind, its count and path matching, and the CLI spec parser."""

from __future__ import annotations

import io
import os
import socket
import ssl
import struct

import httpx
import pytest

from kiosk.sandbox import Sandbox
from kiosk.sandbox.faults import parse_fault_spec
from tests.helpers import wait_for
from tests.sandbox.helpers import FOUR, TWO, error_code


def test_status_with_json_body_counts_down_and_matches_path(sb: Sandbox,
                                                            client: httpx.Client) -> None:
    sb.faults.add("status", status=503, count=2, path="/products")
    assert client.get("/balance").status_code == 200  # other path untouched
    first = client.get(f"/products/{TWO}")
    assert first.status_code == 503 and error_code(first) == "server_error"
    assert client.get(f"/products/{TWO}").status_code == 503
    assert client.get(f"/products/{TWO}").status_code == 200
    assert sb.charges_for(TWO)[0].credits == pytest.approx(2.6)
    assert len(sb.charges_for(TWO)) == 1
    assert [e.fault for e in sb.ledger].count("status") == 2


def test_status_without_json_body(sb: Sandbox, client: httpx.Client) -> None:
    sb.faults.add("status", status=502, json=0)
    r = client.get(f"/products/{TWO}")
    assert r.status_code == 502 and r.headers["content-type"] == "text/html"
    with pytest.raises(ValueError):
        r.json()
    assert sb.credits_spent() == 0


def test_latency(sb: Sandbox, client: httpx.Client) -> None:
    sb.faults.add("latency", seconds=1.0)
    with pytest.raises(httpx.ReadTimeout):
        client.get("/pricing", timeout=0.2)
    assert client.get("/pricing", timeout=5).status_code == 200


def test_drop_resets_connection(sb: Sandbox, client: httpx.Client) -> None:
    sb.faults.add("drop", count=1, path="/products")
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        client.get(f"/products/{TWO}")
    assert sb.ledger[-1].status == 0 and sb.ledger[-1].fault == "drop"
    assert client.get(f"/products/{TWO}").status_code == 200


def test_garbage(sb: Sandbox, client: httpx.Client) -> None:
    sb.faults.add("garbage")
    r = client.get(f"/products/{TWO}")
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    assert sb.credits_spent() == 0


def test_rate_limit(sb: Sandbox, client: httpx.Client) -> None:
    sb.faults.add("rate_limit", retry_after=7)
    r = client.get(f"/products/{TWO}")
    assert r.status_code == 429 and r.headers["retry-after"] == "7"
    assert error_code(r) == "rate_limited"


def test_bind_ip(sb: Sandbox, client: httpx.Client) -> None:
    sb.faults.add("bind_ip", ip="10.9.9.9", count=1)
    urls = client.get(f"/products/{FOUR}", params={"include": "images"}).json()["images"]
    statuses = [httpx.get(urls[v], verify=sb.verify).status_code for v in ("front", "back")]
    assert statuses == [403, 200]  # count counts URLs: only the first is bound elsewhere


def test_truncate_image(sb: Sandbox, client: httpx.Client) -> None:
    sb.faults.add("truncate_image", fraction=0.4)
    url = client.get(f"/products/{TWO}/image", params={"variant": "front"}).headers["location"]
    r = httpx.get(url, verify=sb.verify)
    assert r.status_code == 200
    assert int(r.headers["content-length"]) == len(r.content)
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    pygame = pytest.importorskip("pygame")
    full = httpx.get(client.get(f"/products/{TWO}/image", params={"variant": "front"})
                     .headers["location"], verify=sb.verify).content
    assert len(r.content) == int(len(full) * 0.4)
    assert full.startswith(r.content[:2]) and not r.content.endswith(b"\xff\xd9")
    assert pygame.image.load(io.BytesIO(full), "x.jpg").get_width() > 0


def test_expire_tokens(sb: Sandbox, client: httpx.Client) -> None:
    sb.faults.add("expire_tokens")
    r = client.get("/balance")
    assert r.status_code == 401 and error_code(r) == "token_expired"


def test_unknown_kind_is_refused(sb: Sandbox) -> None:
    with pytest.raises(ValueError):
        sb.faults.add("meteor")
    with pytest.raises(ValueError):
        sb.faults.add("drop", count=0)


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [("status=503,count=3", ("status", 3, None, {"status": 503})),
     ("latency=0.5,count=1000", ("latency", 1000, None, {"seconds": 0.5})),
     ("drop,path=/products", ("drop", 1, "/products", {})),
     ("status=502,json=0", ("status", 1, None, {"status": 502, "json": 0})),
     ("bind_ip=10.9.9.9", ("bind_ip", 1, None, {"ip": "10.9.9.9"}))],
)
def test_parse_fault_spec(spec: str, parsed: tuple) -> None:  # type: ignore[type-arg]
    assert parse_fault_spec(spec) == parsed


@pytest.mark.parametrize("spec", ["", "meteor=1", "drop=1", "status=503,count"])
def test_parse_fault_spec_rejects(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_fault_spec(spec)


def test_a_client_that_hangs_up_mid_answer_is_no_traceback(
        sb: Sandbox, capfd: pytest.CaptureFixture[str]) -> None:
    sb.faults.add("latency", seconds=1.0, path="/pricing")
    assert isinstance(sb.verify, ssl.SSLContext)
    raw = socket.create_connection((sb.host, sb.port))
    conn = sb.verify.wrap_socket(raw, server_hostname=sb.host)
    conn.sendall(b"GET /api/v1/pricing HTTP/1.1\r\nHost: x\r\n\r\n")
    wait_for(lambda: sb.requests_in_flight, what="the request to be read")
    assert sb.requests_in_flight == 1  # read, and held by the latency fault
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()  # a reset, as from a killed kiosk: the answer has nowhere to go
    # The handler has answered (ledger) and its connection is finished with: any error
    # handling, and so any traceback, came before.
    wait_for(lambda: sb.ledger and not sb.open_connections, what="the handler to finish")
    assert sb.ledger and sb.ledger[-1].path == "/api/v1/pricing"
    assert sb.open_connections == 0
    assert "Traceback" not in capfd.readouterr().err
