"""What the daemon's in-process tests share: the room a `Daemon` runs in, and one."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kiosk.sandbox import Sandbox
from tests.daemon.inprocess import InProcess


@pytest.fixture
def daemon_env(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """No systemd to notify (a test may run under one), the kiosk's INFO lines in caplog."""
    for name in ("NOTIFY_SOCKET", "WATCHDOG_USEC"):
        monkeypatch.delenv(name, raising=False)
    caplog.set_level(logging.INFO, logger="kiosk")


@pytest.fixture
def kiosk(daemon_env: None, tmp_path: Path, sandbox: Sandbox) -> InProcess:
    """The daemon in-process against the sandbox, on the staff screen."""
    return InProcess(tmp_path, sandbox)
