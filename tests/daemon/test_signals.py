"""A signal handler that interrupts the main loop's wait on its queue cannot hang it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The daemon's own queue and its own stop(), as SIGTERM's handler calls it, with the main
# thread doing what its loop does between scans (get with a timeout), and a timer
# interrupting it every millisecond for two seconds: many handlers run inside a get().
STORM = """
import queue, signal, sys, tempfile, time
from pathlib import Path
from kiosk.config import Config, StorageConfig
from kiosk.daemon import Daemon

tmp = Path(tempfile.mkdtemp())
d = Daemon(Config(storage=StorageConfig(state_dir=tmp / "s", cache_dir=tmp / "c")),
           signals=False)
calls = 0

def on_alarm(signum, frame):
    global calls
    calls += 1
    d.stop()

signal.signal(signal.SIGALRM, on_alarm)
signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
got, end = 0, time.monotonic() + 2
while time.monotonic() < end:
    try:
        d.events.get(timeout=0.0001)
        got += 1
    except queue.Empty:
        pass
signal.setitimer(signal.ITIMER_REAL, 0)
signal.signal(signal.SIGALRM, signal.SIG_IGN)
print(calls, got)
"""


def test_stop_from_a_signal_handler_never_deadlocks_the_main_loop() -> None:
    # With queue.Queue the handlers piled up, each blocked on the lock of the get() they
    # interrupted, until a RecursionError killed the process: within the first second.
    res = subprocess.run([sys.executable, "-c", STORM], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60,
                         check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    calls, got = map(int, res.stdout.split())
    assert calls > 500 and got > 0  # the storm happened, and the loop kept reading
