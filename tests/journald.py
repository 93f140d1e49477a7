"""A real systemd-journald for tests, and reading it back with `journalctl -o json`.

journald runs here without systemd as PID 1: when its socket is missing, or is a file
left behind by a journald that is gone (connections refused), and the tests run as
root, it is started once for the session. Where that is impossible the tests
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

from kiosk.journal import JOURNAL_SOCKET as SOCKET
from kiosk.journal import journal_answers

JOURNALD = "/lib/systemd/systemd-journald"
# The journald this test session started: it outlives every test, so it is kept here
# rather than left to the garbage collector (which would warn that it still runs).
_started: list[subprocess.Popen[bytes]] = []


def ensure_journald() -> str | None:
    """None when journald answers on its socket (started if need be), else why not."""
    if journal_answers():
        return None
    if os.geteuid() != 0:
        return "no journald socket and not root, so journald cannot be started"
    if not os.path.exists(JOURNALD) or shutil.which("journalctl") is None:
        return "systemd-journald / journalctl not installed"
    _started.append(subprocess.Popen([JOURNALD], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True))
    deadline = time.monotonic() + 10
    while not journal_answers():
        if time.monotonic() > deadline:
            return f"systemd-journald does not answer on {SOCKET}"
        time.sleep(0.05)
    return None


def new_tag() -> str:
    return uuid.uuid4().hex


def read(match: dict[str, str], *, expect: int = 1, timeout: float = 10.0,
         since_us: int | None = None) -> list[dict[str, Any]]:
    """Entries matching all `match` fields, waiting until at least `expect` arrive.

    `since_us` (a `time.time()` in microseconds) leaves out entries written before it:
    the journal keeps earlier runs, and a PID can be reused.
    """
    args = ["journalctl", "-o", "json", "--no-pager", *(f"{k}={v}" for k, v in match.items())]
    if since_us is not None:
        args.append(f"--since=@{since_us // 1_000_000 - 1}")
    deadline = time.monotonic() + timeout
    while True:
        out = subprocess.run(args, capture_output=True, text=True, check=False).stdout
        entries = [json.loads(line) for line in out.splitlines() if line.strip()]
        entries = [e for e in entries
                   if since_us is None or int(e["__REALTIME_TIMESTAMP"]) >= since_us]
        if len(entries) >= expect or time.monotonic() > deadline:
            return entries
        time.sleep(0.1)
