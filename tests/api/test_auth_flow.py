"""The token flow, driven by hand without a network (as httpx tests its own auth)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

from kiosk.api import Secret
from kiosk.api.auth import TokenAuth
from kiosk.api.errors import CredentialsRefused, ServerError
from kiosk.api.tokens import RefreshTokenFile
from tests.helpers import FakeClock

BASE = "http://127.0.0.1:9/api/v1"


def tokens(n: int, expires_in: int = 3600) -> dict[str, Any]:
    return {"access_token": f"at{n}", "refresh_token": f"rt{n}", "token_type": "Bearer",
            "expires_in": expires_in}


def reply(request: httpx.Request, status: int, body: dict[str, Any]) -> httpx.Response:
    return httpx.Response(status, json=body, request=request)


def err(request: httpx.Request, status: int, code: str) -> httpx.Response:
    return reply(request, status, {"error": {"code": code, "message": code},
                                   "meta": {"request_id": "req_x"}})


def sent_json(request: httpx.Request) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(request.content)
    return result


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_000_000.0)


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "api_key"
    path.write_text("sk_test_one")
    return path


def make(tmp_path: Path, clock: FakeClock, key_file: Path) -> TokenAuth:
    return TokenAuth(BASE, "rd_client_t", lambda: Secret(key_file.read_text().strip()),
                     RefreshTokenFile(tmp_path), clock=clock)


def product_request() -> httpx.Request:
    return httpx.Request("GET", BASE + "/products/017000161563")


def test_exchange_then_bearer_then_refresh_ahead_of_expiry(tmp_path: Path, clock: FakeClock,
                                                           key_file: Path) -> None:
    auth = make(tmp_path, clock, key_file)
    flow = auth.auth_flow(product_request())
    token_req = next(flow)
    assert token_req.url.path.endswith("/auth/token")
    assert sent_json(token_req) == {"client_id": "rd_client_t", "api_key": "sk_test_one"}
    req = flow.send(reply(token_req, 200, tokens(1)))
    assert req.headers["Authorization"] == "Bearer at1"
    with pytest.raises(StopIteration):
        flow.send(httpx.Response(200, json={}, request=req))
    # The refresh token is on disk, 0600, before the access token was used.
    saved = tmp_path / "refresh_token"
    assert json.loads(saved.read_text())["refresh_token"] == "rt1"
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600

    clock.now += 3600 - 299  # inside the 5-minute margin: renew *before* sending
    flow = auth.auth_flow(product_request())
    refresh_req = next(flow)
    assert refresh_req.url.path.endswith("/auth/refresh")
    assert sent_json(refresh_req) == {"refresh_token": "rt1"}
    req = flow.send(reply(refresh_req, 200, tokens(2)))
    assert req.headers["Authorization"] == "Bearer at2"
    assert json.loads(saved.read_text())["refresh_token"] == "rt2"
    assert (auth.exchanges, auth.refreshes) == (1, 1)


def test_401_expired_renews_and_resends_once(tmp_path: Path, clock: FakeClock,
                                             key_file: Path) -> None:
    auth = make(tmp_path, clock, key_file)
    flow = auth.auth_flow(product_request())
    req = flow.send(reply(next(flow), 200, tokens(1)))
    refresh_req = flow.send(err(req, 401, "token_expired"))
    assert refresh_req.url.path.endswith("/auth/refresh")
    again = flow.send(reply(refresh_req, 200, tokens(2)))
    assert again.headers["Authorization"] == "Bearer at2"
    # A second 401 is the caller's answer: the flow does not loop.
    with pytest.raises(StopIteration):
        flow.send(err(again, 401, "token_expired"))


def test_refresh_refused_falls_back_to_credentials(tmp_path: Path, clock: FakeClock,
                                                   key_file: Path) -> None:
    (tmp_path / "refresh_token").write_text(json.dumps({"refresh_token": "rt_old"}))
    auth = make(tmp_path, clock, key_file)
    flow = auth.auth_flow(product_request())
    refresh_req = next(flow)
    assert sent_json(refresh_req) == {"refresh_token": "rt_old"}
    token_req = flow.send(err(refresh_req, 401, "invalid_refresh_token"))
    assert token_req.url.path.endswith("/auth/token")
    req = flow.send(reply(token_req, 200, tokens(5)))
    assert req.headers["Authorization"] == "Bearer at5"


def test_refused_key_backs_off_until_the_key_file_changes(tmp_path: Path, clock: FakeClock,
                                                          key_file: Path) -> None:
    auth = make(tmp_path, clock, key_file)
    flow = auth.auth_flow(product_request())
    token_req = next(flow)
    with pytest.raises(CredentialsRefused):
        flow.send(err(token_req, 401, "invalid_client"))
    assert auth.credentials_refused
    # Same key, during the back-off: refused without a request.
    flow = auth.auth_flow(product_request())
    with pytest.raises(CredentialsRefused):
        next(flow)
    # The admin replaces the key file: tried at once.
    key_file.write_text("sk_test_two\n")
    flow = auth.auth_flow(product_request())
    token_req = next(flow)
    assert sent_json(token_req)["api_key"] == "sk_test_two"
    req = flow.send(reply(token_req, 200, tokens(9)))
    assert req.headers["Authorization"] == "Bearer at9"
    assert not auth.credentials_refused


def test_refused_key_is_tried_again_after_the_back_off(tmp_path: Path, clock: FakeClock,
                                                       key_file: Path) -> None:
    auth = make(tmp_path, clock, key_file)
    flow = auth.auth_flow(product_request())
    with pytest.raises(CredentialsRefused):
        flow.send(err(next(flow), 401, "invalid_client"))
    clock.now += 901  # beyond the largest back-off
    flow = auth.auth_flow(product_request())
    assert next(flow).url.path.endswith("/auth/token")


def test_garbage_token_answer_is_a_server_error(tmp_path: Path, clock: FakeClock,
                                                key_file: Path) -> None:
    auth = make(tmp_path, clock, key_file)
    flow = auth.auth_flow(product_request())
    token_req = next(flow)
    with pytest.raises(ServerError):
        flow.send(httpx.Response(200, content=b"<html>proxy</html>", request=token_req))


def test_nothing_secret_in_reprs(tmp_path: Path, clock: FakeClock, key_file: Path) -> None:
    auth = make(tmp_path, clock, key_file)
    flow = auth.auth_flow(product_request())
    flow.send(reply(next(flow), 200, tokens(1)))
    shown = repr(auth) + repr(auth._access) + repr(auth._token_file)
    for secret in ("sk_test_one", "at1", "rt1"):
        assert secret not in shown


# --- a step of the wall clock (a Pi: boot at 1970 or a stale fake-hwclock, then NTP) -------

YEAR = 365 * 86400.0


@pytest.mark.parametrize("step", [YEAR, -YEAR], ids=["forward", "back"])
def test_a_wall_clock_step_moves_neither_the_token_nor_a_refusal(
        tmp_path: Path, clock: FakeClock, key_file: Path, step: float) -> None:
    wall = FakeClock(1_800_000_000.0)
    auth = TokenAuth(BASE, "rd_client_t", lambda: Secret(key_file.read_text().strip()),
                     RefreshTokenFile(tmp_path), clock=clock, wall=wall)
    flow = auth.auth_flow(product_request())
    token_req = next(flow)
    flow.send(reply(token_req, 200, tokens(1)))
    assert auth.expires_at == pytest.approx(wall.now + 3600)
    wall.advance(step)  # NTP
    clock.advance(60)
    assert auth.expires_at == pytest.approx(wall.now + 3540)  # in the new wall's frame
    flow = auth.auth_flow(product_request())
    assert next(flow).headers["Authorization"] == "Bearer at1"  # still good: no renewal
    clock.advance(3600 - 60 - 299)  # inside the margin by the token's own lifetime
    flow = auth.auth_flow(product_request())
    assert next(flow).url.path.endswith("/auth/refresh")  # renewed, not kept for a year
    assert auth.exchanges == 1

    # A refused key's back-off, across a step back the other way, ends on time.
    refused = TokenAuth(BASE, "rd_client_t", lambda: Secret("sk_dead"), None, clock=clock,
                        wall=wall)
    flow = refused.auth_flow(product_request())
    with pytest.raises(CredentialsRefused):
        flow.send(err(next(flow), 401, "invalid_client"))
    wall.advance(-step)
    clock.advance(901)
    assert next(refused.auth_flow(product_request())).url.path.endswith("/auth/token")
