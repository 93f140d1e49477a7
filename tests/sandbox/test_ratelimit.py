"""Rate-limit headers, 429 with Retry-After, and the sliding minute window."""

from __future__ import annotations

import httpx

from kiosk.sandbox import Sandbox
from tests.sandbox.helpers import authed, error_code


def test_headers_count_down_and_429_charges_nothing() -> None:
    with Sandbox(rpm=3) as sb, authed(sb) as client:
        remaining = []
        for _ in range(3):
            r = client.get("/balance")
            assert r.status_code == 200
            assert r.headers["x-ratelimit-limit"] == "3"
            assert 0 < int(r.headers["x-ratelimit-reset"]) <= 60
            remaining.append(int(r.headers["x-ratelimit-remaining"]))
        assert remaining == [2, 1, 0]
        r = client.get("/products/000413000222")
        assert r.status_code == 429 and error_code(r) == "rate_limited"
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert r.headers["x-ratelimit-remaining"] == "0"
        assert sb.credits_spent() == 0
        # Signed URLs and auth calls do not count.
        sb.advance_clock(61)
        url = client.get("/products/000413000222",
                         params={"include": "images", "variants": "front"}).json()["images"]
        for _ in range(3):
            httpx.post(f"{sb.base_url}/auth/token", json={"client_id": "x", "api_key": "y"},
                       verify=sb.verify)
        assert httpx.get(url["front"], verify=sb.verify).status_code == 200
        assert client.get("/pricing").headers["x-ratelimit-remaining"] == "1"


def test_window_slides() -> None:
    with Sandbox(rpm=2) as sb, authed(sb) as client:
        assert client.get("/balance").status_code == 200
        sb.advance_clock(30)
        assert client.get("/balance").status_code == 200
        limited = client.get("/balance")
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) in (29, 30, 31)
        sb.advance_clock(31)  # the first request left the window, the second did not
        ok = client.get("/balance")
        assert ok.status_code == 200 and ok.headers["x-ratelimit-remaining"] == "0"


def test_daily_budget() -> None:
    with Sandbox(rpm=100, rpd=2) as sb, authed(sb) as client:
        assert [client.get("/balance").status_code for _ in range(3)] == [200, 200, 429]
        sb.advance_clock(86400)
        with authed(sb) as fresh:  # the old token has expired meanwhile
            account = fresh.get("/account").json()
        assert account["rate_limits"]["remaining_today"] == 1
