"""`scripts/bench daemon --quick` and `scripts/bench network --quick` run to the end and
every figure is there.

Timings are printed, never asserted: this checks that the benchmark works (it once broke
unnoticed when the harness under it changed) and the figures that are not timings.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support import journald

ROOT = Path(__file__).resolve().parents[1]

ROWS = ("READY, median of", "uncached p95 @800x480", "cached p95 @1920x1080",
        "RSS @1280x720 after", "idle CPU @1280x720", "credits on the trace: kiosk",
        "burst: 20 scans")


def run_quick(name: str, tmp_path: Path, timeout: float) -> tuple[str, dict[str, Any]]:
    """`scripts/bench NAME --quick` run to the end: what it printed, and its JSON figures."""
    reason = journald.ensure_journald()
    if reason:
        pytest.skip(reason)
    out = tmp_path / f"{name}.json"
    res = subprocess.run([str(ROOT / "scripts/bench"), name, "--quick", "--json", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    return res.stdout, json.loads(out.read_text())


@pytest.mark.slow
def test_daemon_bench_prints_every_figure(tmp_path: Path) -> None:
    stdout, fig = run_quick("daemon", tmp_path, timeout=600)
    for row in ROWS:
        assert row in stdout, row
    for size in fig["sizes"]:
        assert size["lost"] == [] and size["rss_mb"] > 0
        assert set(size["outcomes"]) == {"shown", "cached"}
    assert fig["credits"]["kiosk_equals_minimum"]
    burst = fig["burst"]
    assert burst["answered"] == burst["scans"] == 20
    assert burst["in_order"] and burst["http_429"] == 0


NETWORK_FLOORS = {  # (first paint, complete card) as the bench prints them, RTT in ms
    "warm": lambda r: (f"({r} ms)", f"({2 * r} ms)"),
    "after idle close": lambda r: (f"({r} ms; new conn. {3 * r})",
                                   f"({2 * r} ms; new conn. {4 * r})"),
    "cold start": lambda r: (f"({3 * r} ms)", f"({4 * r} ms)"),
}


@pytest.mark.slow
def test_network_bench_prints_every_row_with_its_floor(tmp_path: Path) -> None:
    stdout, fig = run_quick("network", tmp_path, timeout=900)
    lines = stdout.splitlines()
    for rtt in (40, 100, 200):
        for case, floors in NETWORK_FLOORS.items():
            row = [line for line in lines if line.startswith(f"{rtt} ms") and f" {case} " in line]
            assert len(row) == 1, (rtt, case, stdout)
            for floor in floors(rtt):
                assert floor in row[0], (floor, row[0])
    assert sum(line.startswith("target @RTT 100 ms:") for line in lines) == 4
    assert "a free request every 50 s" in stdout and "TLS handshake, client CPU" in stdout
    for rtt in fig["rtts"]:
        assert rtt["problems"] == [], rtt["problems"]
        assert all(c["complete_ms"]["n"] >= 1 for c in rtt["cases"].values())
