"""A `kiosk lookup` process killed (SIGKILL) after its paid answer is recorded and
before its photo arrived: the next run buys nothing again and takes the photo from the
saved signed URL. Real processes, real TCP, the real state database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.sandbox import Sandbox
from kiosk.sandbox.endpoints import API_PREFIX
from tests.barcodes import CEREAL
from tests.resilience.util import paid_rows
from tests.support.harness import ROOT, Kiosk


def lookup(kiosk: Kiosk) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("RD_API_KEY", None)
    return subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "lookup", CEREAL, "--config", str(kiosk.config),
         "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)


def spent(state: Path) -> float:
    conn = sqlite3.connect(state / "kiosk.db", timeout=5)
    try:
        return float(conn.execute("SELECT COALESCE(SUM(credits), 0) FROM spending").fetchone()[0])
    finally:
        conn.close()


def test_sigkill_between_the_answer_and_the_photo_buys_nothing_twice(tmp_path: Path) -> None:
    with Sandbox(rpm=600) as sandbox:
        kiosk = Kiosk(tmp_path, sandbox)
        kiosk.notify.close()
        state = tmp_path / "state"
        sandbox.faults.add("latency", count=1, path="/image/", seconds=6.0)
        first = lookup(kiosk)
        deadline = time.monotonic() + 30
        # The condition: the answer is committed and the photo's download is under way.
        while not (paid_rows(state) and sandbox.requests_in_flight):
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the paid answer was never recorded"
            time.sleep(0.02)
        first.kill()
        first.communicate(timeout=10)
        assert paid_rows(state) == [(CEREAL, None)]  # recorded, its photo not yet
        second = lookup(kiosk)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err.decode(errors="replace")
        answer = json.loads(out)
        assert answer["outcome"] == "shown" and answer["has_image"], answer
        gets = [e for e in sandbox.ledger if e.path == f"{API_PREFIX}/products/{CEREAL}"]
        redirects = [e for e in sandbox.ledger if e.path.endswith(f"/{CEREAL}/image")]
        assert (len(gets), len(redirects)) == (1, 0)  # the saved URL, free
        assert [e.status for e in sandbox.image_downloads(CEREAL)] == [200]
        assert spent(state) == pytest.approx(sandbox.credits_spent()) == pytest.approx(1.3)
        assert paid_rows(state)[0][1] is not None
