"""`scripts/bench daemon --quick` runs to the end and every figure is there.

Timings are printed, never asserted: this checks that the benchmark works (it once broke
unnoticed when the harness under it changed) and the figures that are not timings.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests import journald

ROOT = Path(__file__).resolve().parents[1]

ROWS = ("READY, median of", "uncached p95 @800x480", "cached p95 @1920x1080",
        "RSS @1280x720 after", "idle CPU @1280x720", "credits on the trace: kiosk",
        "burst: 20 scans")


@pytest.mark.slow
def test_daemon_bench_prints_every_figure(tmp_path: Path) -> None:
    reason = journald.ensure_journald()
    if reason:
        pytest.skip(reason)
    out = tmp_path / "daemon.json"
    res = subprocess.run([str(ROOT / "scripts/bench"), "daemon", "--quick", "--json", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    for row in ROWS:
        assert row in res.stdout, row
    fig = json.loads(out.read_text())
    for size in fig["sizes"]:
        assert size["lost"] == [] and size["rss_mb"] > 0
        assert set(size["outcomes"]) == {"shown", "cached"}
    assert fig["credits"]["kiosk_equals_minimum"]
    burst = fig["burst"]
    assert burst["answered"] == burst["scans"] == 20
    assert burst["in_order"] and burst["http_429"] == 0
