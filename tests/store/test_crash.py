"""SIGKILL a process that is enqueuing and draining, 200 times, at random moments.

After every kill: each scan the child reported as committed is still queued or has
its answer in the cache (with an intact image), and both databases pass
`PRAGMA integrity_check`. (SIGKILL tests process-crash atomicity; power-loss
durability rests on synchronous=FULL and the fsyncs counted by the bench.)
"""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from kiosk.store import CachedMiss, CacheHit, Store

CHILD = Path(__file__).with_name("crash_child.py")
ROOT = Path(__file__).resolve().parents[2]
ITERATIONS = 200


def _run_child_until_killed(state: Path, cache: Path, seed: int, rng: random.Random
                            ) -> list[tuple[str, str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(CHILD), str(state), str(cache), str(seed)],
                            stdout=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    buf = b""
    kill_at: float | None = None
    deadline = time.monotonic() + 30  # safety net only
    while time.monotonic() < deadline:
        timeout = 0.5 if kill_at is None else max(0.0, kill_at - time.monotonic())
        ready, _, _ = select.select([fd], [], [], timeout)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buf += chunk
            if kill_at is None and b"ready\n" in buf:
                kill_at = time.monotonic() + rng.uniform(0.0, 0.06)
        if kill_at is not None and time.monotonic() >= kill_at:
            break
    proc.send_signal(signal.SIGKILL)
    rest = proc.stdout.read()
    proc.stdout.close()
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, f"child ended by itself: {proc.returncode}"
    lines = (buf + rest).split(b"\n")[:-1]  # a line without its newline was not reported
    pairs = [line.decode().split(" ", 1) for line in lines if line != b"ready"]
    return [(kind, barcode) for kind, barcode in pairs]


def _assert_nothing_lost(store: Store, reported: set[str]) -> None:
    queued = {i.barcode for i in store.queue.items()}
    for barcode in sorted(reported - queued):
        found = store.cache.get(barcode)
        assert isinstance(found, CacheHit | CachedMiss), f"committed scan {barcode} lost"
        if isinstance(found, CacheHit):
            assert found.image is not None, f"{barcode}: cached image missing or torn"


def test_sigkill_at_random_points_loses_no_committed_scan(tmp_path: Path) -> None:
    rng = random.Random(20260522)
    state, cache = tmp_path / "state", tmp_path / "cache"
    reported: set[str] = set()
    kills_with_output = 0
    for seed in range(ITERATIONS):
        lines = _run_child_until_killed(state, cache, seed, rng)
        kills_with_output += bool(lines)
        reported |= {barcode for kind, barcode in lines if kind == "Q"}
        with Store.open(state, cache, miss_ttl_s=10**9, max_bytes=10**10) as store:
            assert store.integrity_check() == {"queue": ["ok"], "cache": ["ok"]}
            _assert_nothing_lost(store, {b for k, b in lines if k == "Q"})
    with Store.open(state, cache, miss_ttl_s=10**9, max_bytes=10**10) as store:
        _assert_nothing_lost(store, reported)
        assert not list((tmp_path / "state").glob("*.corrupt-*"))
    assert kills_with_output > ITERATIONS // 2  # the kills did land mid-work
    assert len(reported) > ITERATIONS
