"""Every row of the contract's authentication table, rotation and token lifetimes."""

from __future__ import annotations

import httpx
import pytest

from kiosk.sandbox import Sandbox
from tests.sandbox.helpers import error_code, token_for


def _post(sb: Sandbox, path: str, **kw: object) -> httpx.Response:
    return httpx.post(f"{sb.base_url}{path}", **kw, verify=sb.verify)  # type: ignore[arg-type]


def test_token_success_shape(sb: Sandbox) -> None:
    body = token_for(sb)
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["refresh_token"].startswith("rt_")
    assert "sk_" not in body["access_token"]


@pytest.mark.parametrize(
    ("path", "kw", "status", "code"),
    [
        ("/auth/token", {"content": b"not json"}, 400, "bad_request"),
        ("/auth/token", {"json": {"client_id": "rd_client_sandbox"}}, 400, "bad_request"),
        ("/auth/token", {"json": ["rd_client_sandbox", "sk_test_sandbox_key"]}, 400,
         "bad_request"),
        ("/auth/token", {"json": {"client_id": "rd_client_sandbox", "api_key": "wrong"}}, 401,
         "invalid_client"),
        ("/auth/token", {"json": {"client_id": "someone", "api_key": "sk_test_sandbox_key"}},
         401, "invalid_client"),
        ("/auth/refresh", {"content": b"{"}, 400, "bad_request"),
        ("/auth/refresh", {"json": {"refresh_token": 5}}, 400, "bad_request"),
        ("/auth/refresh", {"json": {"refresh_token": "rt_unknown"}}, 401,
         "invalid_refresh_token"),
    ],
)
def test_auth_failures(
    sb: Sandbox, path: str, kw: dict[str, object], status: int, code: str
) -> None:
    r = _post(sb, path, **kw)
    assert r.status_code == status
    assert error_code(r) == code
    assert sb.credits_spent() == 0


def test_refresh_rotates(sb: Sandbox) -> None:
    first = token_for(sb)
    r = _post(sb, "/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    again = _post(sb, "/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert again.status_code == 401 and error_code(again) == "invalid_refresh_token"
    third = _post(sb, "/auth/refresh", json={"refresh_token": second["refresh_token"]})
    assert third.status_code == 200


@pytest.mark.parametrize(
    ("headers", "code"),
    [({}, "missing_token"), ({"Authorization": "Basic abc"}, "missing_token"),
     ({"Authorization": "Bearer"}, "missing_token"),
     ({"Authorization": "Bearer not-a-token"}, "invalid_token")],
)
def test_bearer_failures(sb: Sandbox, headers: dict[str, str], code: str) -> None:
    r = httpx.get(f"{sb.base_url}/balance", headers=headers, verify=sb.verify)
    assert r.status_code == 401 and error_code(r) == code


def _balance(sb: Sandbox, token: str) -> httpx.Response:
    return httpx.get(f"{sb.base_url}/balance", headers={"Authorization": f"Bearer {token}"},
                     verify=sb.verify)


def test_access_token_expires_by_clock_and_by_control(sb: Sandbox) -> None:
    sb.access_ttl = 60
    tokens = token_for(sb)
    assert tokens["expires_in"] == 60
    assert _balance(sb, tokens["access_token"]).status_code == 200
    sb.advance_clock(61)
    r = _balance(sb, tokens["access_token"])
    assert r.status_code == 401 and error_code(r) == "token_expired"
    fresh = token_for(sb)["access_token"]
    assert _balance(sb, fresh).status_code == 200
    sb.expire_access_tokens()
    assert error_code(_balance(sb, fresh)) == "token_expired"


def test_refresh_token_lives_90_days(sb: Sandbox) -> None:
    tokens = token_for(sb)
    sb.advance_clock(90 * 86400 + 1)
    r = _post(sb, "/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 401 and error_code(r) == "invalid_refresh_token"


def test_revoke_refresh_tokens(sb: Sandbox) -> None:
    tokens = token_for(sb)
    sb.revoke_refresh_tokens()
    r = _post(sb, "/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert error_code(r) == "invalid_refresh_token"
    assert _balance(sb, tokens["access_token"]).status_code == 200


def test_key_rotation_kills_old_key_and_tokens(sb: Sandbox) -> None:
    tokens = token_for(sb)
    sb.rotate_key("sk_test_rotated_key")
    r = _balance(sb, tokens["access_token"])
    assert r.status_code == 401 and error_code(r) == "invalid_token"
    old = _post(sb, "/auth/token", json={"client_id": sb.client_id,
                                          "api_key": "sk_test_sandbox_key"})
    assert old.status_code == 401 and error_code(old) == "invalid_client"
    refresh = _post(sb, "/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert error_code(refresh) == "invalid_refresh_token"
    assert sb.api_key == "sk_test_rotated_key"
    assert _balance(sb, token_for(sb)["access_token"]).status_code == 200


def test_restart_forgets_tokens_keeps_port_and_balance(sb: Sandbox) -> None:
    tokens = token_for(sb)
    port = sb.port
    sb.set_balance(42.5)
    with httpx.Client(headers={"Authorization": f"Bearer {tokens['access_token']}"},
                      verify=sb.verify) as c:
        assert c.get(f"{sb.base_url}/balance").status_code == 200  # a keep-alive connection
        sb.restart()
        assert sb.port == port
        r = c.get(f"{sb.base_url}/balance")  # httpx reconnects after the reset
    assert r.status_code == 401 and error_code(r) == "invalid_token"
    assert _balance(sb, token_for(sb)["access_token"]).json()["credit_balance"] == 42.5


def test_offline_refuses_connections(sb: Sandbox) -> None:
    sb.set_online(False)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{sb.base_url}/pricing", timeout=2, verify=sb.verify)
    sb.set_online(True)
    assert token_for(sb)["token_type"] == "Bearer"
