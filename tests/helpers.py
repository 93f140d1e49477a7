"""Small helpers shared across the test directories (fixtures live in each conftest)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from kiosk.api import ApiClient, RefreshTokenFile, Secret, TokenAuth
from kiosk.api.transport import bounded_hooks

if TYPE_CHECKING:  # only the type: the API tests need not load the daemon (and pygame)
    from kiosk.daemon import Daemon

__all__ = ["MOCK_BASE", "FakeClock", "free_port", "mock_api", "mock_http", "run_daemon"]

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


def run_daemon(daemon: Daemon, scenario: Callable[[], None]) -> int:
    """Run `daemon` in-process on this thread (pygame wants the main one) until
    `scenario`, on a thread of its own once the daemon is ready, is done; re-raise the
    scenario's failure. The daemon's exit status."""
    failure: list[BaseException] = []

    def play() -> None:
        try:
            assert daemon.ready.wait(30), "the daemon did not get ready"
            scenario()
        except BaseException as exc:
            failure.append(exc)
        finally:
            daemon.stop()

    thread = threading.Thread(target=play, name="scenario")
    thread.start()
    status = daemon.run()
    thread.join(30)
    if failure:
        raise failure[0]
    return status


def free_port() -> int:
    """A loopback port free now, for a server that must be told its port up front (a
    tool's command line, a VM's forward); it may be taken again before it binds."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
