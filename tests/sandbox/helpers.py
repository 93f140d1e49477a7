"""Small helpers shared by the sandbox tests (fixtures live in conftest)."""

from __future__ import annotations

from typing import Any

import httpx

from kiosk.sandbox import Sandbox
from tests.barcodes import CEREAL, FISH

TWO = CEREAL  # two photo variants: front + front_clean
FOUR = FISH  # all four variants


def token_for(sb: Sandbox) -> dict[str, Any]:
    r = httpx.post(f"{sb.base_url}/auth/token",
                   json={"client_id": sb.client_id, "api_key": sb.api_key}, verify=sb.verify)
    assert r.status_code == 200, r.text
    return dict(r.json())


def authed(sb: Sandbox, **kw: Any) -> httpx.Client:
    tokens = token_for(sb)
    return httpx.Client(base_url=sb.base_url, timeout=10, verify=sb.verify,
                        headers={"Authorization": f"Bearer {tokens['access_token']}"}, **kw)


def error_code(r: httpx.Response) -> str:
    body = r.json()
    assert set(body) == {"error", "meta"}, body
    assert body["meta"]["request_id"] == r.headers["x-request-id"]
    return str(body["error"]["code"])
