"""A real systemd-journald for tests, and reading it back with `journalctl -o json`.

journald runs here without systemd as PID 1: when its socket is missing and the tests
run as root, it is started once for the session. Where that is impossible the tests
that need it are skipped with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from typing import Any

SOCKET = "/run/systemd/journal/socket"
JOURNALD = "/lib/systemd/systemd-journald"


def ensure_journald() -> str | None:
    """None when a journal socket is there (started if need be), else why not."""
    if os.path.exists(SOCKET):
        return None
    if os.geteuid() != 0:
        return "no journald socket and not root, so journald cannot be started"
    if not os.path.exists(JOURNALD) or shutil.which("journalctl") is None:
        return "systemd-journald / journalctl not installed"
    subprocess.Popen([JOURNALD], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)
    deadline = time.monotonic() + 10
    while not os.path.exists(SOCKET):
        if time.monotonic() > deadline:
            return "systemd-journald did not create its socket"
        time.sleep(0.05)
    return None


def new_tag() -> str:
    return uuid.uuid4().hex


def read(match: dict[str, str], *, expect: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Entries matching all `match` fields, waiting until at least `expect` arrive."""
    args = ["journalctl", "-o", "json", "--no-pager", *(f"{k}={v}" for k, v in match.items())]
    deadline = time.monotonic() + timeout
    while True:
        out = subprocess.run(args, capture_output=True, text=True, check=False).stdout
        entries = [json.loads(line) for line in out.splitlines() if line.strip()]
        if len(entries) >= expect or time.monotonic() > deadline:
            return entries
        time.sleep(0.1)
