"""Small helpers shared across the test directories (fixtures live in each conftest)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from kiosk.api import ApiClient, RefreshTokenFile, Secret, TokenAuth, make_http_client
from kiosk.api.transport import bounded_hooks
from kiosk.config import ApiConfig

if TYPE_CHECKING:  # only the type: the API tests need not load the daemon (and pygame)
    from kiosk.daemon import Daemon
    from kiosk.sandbox import Sandbox

__all__ = ["EXAMPLE_CONFIG", "MOCK_BASE", "REPO", "FakeClock", "free_port", "mock_api",
           "mock_http", "run_daemon", "sandbox_api", "sandbox_http", "wait_for", "with_photo",
           "write_config"]

MOCK_BASE = "https://api.test/api/v1"
REPO = Path(__file__).resolve().parents[1]
EXAMPLE_CONFIG = REPO / "config" / "kiosk.toml"  # the example every key is documented in


class FakeClock:
    """Wall-clock seconds that only move when a test says so (`advance`, or set `now`)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def write_config(tmp_path: Path, text: str) -> Path:
    """`text` as tmp_path/kiosk.toml, for a test of how a configuration file is read."""
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


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


def sandbox_http(sandbox: Sandbox, **kw: Any) -> httpx.Client:
    """The kiosk's own HTTP client (TLS, limits, hooks), trusting the sandbox's CA;
    `kw`: more `ApiConfig` fields."""
    return make_http_client(ApiConfig(base_url=sandbox.base_url, ca_file=sandbox.ca_file, **kw))


def sandbox_api(sandbox: Sandbox, http: httpx.Client, state_dir: Path, **kw: Any) -> ApiClient:
    """The real `ApiClient` (and token flow, its refresh token in `state_dir`) on `http`,
    with the sandbox's own client id and key; `kw`: deadline, retries, spend guard ..."""
    auth = TokenAuth(sandbox.base_url, sandbox.client_id, lambda: Secret(sandbox.api_key),
                     RefreshTokenFile(state_dir))
    return ApiClient(http, sandbox.base_url, auth, **kw)


def with_photo(sandbox: Sandbox) -> list[str]:
    """The sandbox catalog's barcodes that have a front photo, in order."""
    return [b for b, p in sorted(sandbox.catalog.items()) if p["image_meta"].get("front")]


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


def wait_for(condition: Callable[[], object], timeout: float = 20.0,
             what: str = "the condition") -> None:
    """Poll `condition` until it holds, for state that signals no event (a sandbox
    counter, a file another thread writes, a log line); fail naming `what` after
    `timeout` seconds, a safety net the test's result never depends on."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def free_port() -> int:
    """A loopback port free now, for a server that must be told its port up front (a
    tool's command line, a VM's forward); it may be taken again before it binds."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
