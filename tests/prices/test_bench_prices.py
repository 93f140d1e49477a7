"""`scripts/bench prices --quick` runs to the end and every figure is there.

Timings are printed, never asserted: this checks that the benchmark works and the
figures that are not timings (every row imported, the lookups found).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PART = ROOT / "scripts" / "bench_parts" / "prices.py"


def test_the_prices_bench_prints_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "prices.json"
    res = subprocess.run(
        [sys.executable, str(PART), "--quick", "--json", str(out)], cwd=ROOT,
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "PYTHONPATH": str(PART.parent)})
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    for row in ("import into an empty prices.db", "import over a full prices.db",
                "peak RSS added by both", "lookup p50 / p95 / p99"):
        assert row in res.stdout, res.stdout
    fig = json.loads(out.read_text())
    assert fig["rows"] == 20_000
    assert fig["lookup_ms"]["n"] == 20_000
    assert 17_000 < fig["lookups_found"] < 19_000  # nine in ten asked are in the file
    assert fig["goals"] == {"import_s": 3.0, "peak_rss_added_mb": 30.0, "lookup_p95_ms": 0.2}
