"""A real systemd-journald for tests, and reading it back with `journalctl -o json`.

journald runs here without systemd as PID 1: when its socket is missing, or is a file
left behind by a journald that is gone (connections refused), and the tests run as
root, it is started once for the session. journald refuses to start without a cgroup
file system on /sys/fs/cgroup (a container or a chroot with a plain bind mount of /sys
has none); it then gets one of its own, mounted in a private mount namespace so that
the machine's mounts are not touched. Where all that is impossible the tests that need
it are skipped with the reason (a failure under CI=true, see tests/skip_policy.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from typing import Any

from kiosk.daemon.systemd import JOURNAL_SOCKET as SOCKET
from kiosk.daemon.systemd import journal_answers

JOURNALD = "/lib/systemd/systemd-journald"
CGROUP = "/sys/fs/cgroup"
# /sys is a mount point everywhere (a chroot included, where "/" is not), so making it
# private in the new namespace keeps the cgroup mount from propagating to the machine.
_WITH_OWN_CGROUP = ("mount --make-rprivate /sys && mount -t cgroup2 kiosk-tests {cgroup} "
                    "&& exec {journald}")
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
    command = [JOURNALD]
    if not os.path.ismount(CGROUP):
        if shutil.which("unshare") is None:
            return f"journald needs a cgroup file system on {CGROUP}, and unshare is missing"
        command = ["unshare", "--mount", "--propagation", "unchanged", "sh", "-c",
                   _WITH_OWN_CGROUP.format(cgroup=CGROUP, journald=JOURNALD)]
    # A file, not a pipe: a pipe nobody reads would block journald once full.
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors,
                                start_new_session=True)
        _started.append(proc)
        deadline = time.monotonic() + 10
        while not journal_answers():
            if proc.poll() is not None:
                errors.seek(0)
                said = errors.read().decode(errors="replace").strip()[-300:]
                return f"systemd-journald exited with status {proc.returncode}: {said}"
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
