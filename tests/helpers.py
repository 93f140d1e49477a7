"""Small helpers shared across the test directories (fixtures live in each conftest)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from kiosk.api import ApiClient, RefreshTokenFile, TokenAuth
from kiosk.api.transport import bounded_hooks
from kiosk.config import Secret

__all__ = ["MOCK_BASE", "FakeClock", "mock_api", "mock_http"]

MOCK_BASE = "https://api.test/api/v1"


class FakeClock:
    """Wall-clock seconds that only move when a test says so (`advance`, or set `now`)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def mock_http(handler: Callable[[httpx.Request], httpx.Response], timeout_s: float = 3.0
              ) -> httpx.Client:
    """An httpx client on a fake API, behind the same bounding hooks as the real one."""
    return httpx.Client(transport=httpx.MockTransport(handler),
                        event_hooks=bounded_hooks(httpx.Timeout(timeout_s)))


def mock_api(handler: Callable[[httpx.Request], httpx.Response], tmp_path: Path,
             timeout_s: float = 3.0, **kw: Any) -> ApiClient:
    """The real `ApiClient` (and token flow) talking to `handler`."""
    auth = TokenAuth(MOCK_BASE, "rd_client_x", lambda: Secret("sk"), RefreshTokenFile(tmp_path))
    return ApiClient(mock_http(handler, timeout_s), MOCK_BASE, auth, **kw)
