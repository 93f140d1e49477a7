"""Prices: a 100,000-row price file imported, and looked up per scan.

Method:
- the file: generated here, CSV as a POS exports it: 100,000 distinct EAN-13s, one in
  ten with a promotion, one in three with a unit price, one in twenty with an age limit,
  one in a hundred with a recall, every one with a name (`--quick`: 20,000 rows).
- import: a fresh child process opens prices.db on a temp dir on this disk and imports
  the file through `PriceBook.import_file` with the scanner's GS1 rule (what the daemon
  does); wall time by time.perf_counter, CPU by time.process_time (% CPU = CPU / wall:
  on a shared machine the CPU seconds are the steadier figure),
  twice: into an empty database, then the same file again over those 100,000 rows (the
  steady state: every import replaces a full table).
- peak RSS added: VmHWM after the imports minus VmRSS before the first one, from
  /proc/self/status in that child (its modules already loaded).
- lookup: 20,000 `PriceBook.lookup` calls in the same child after the imports, nine in
  ten of a barcode in the file, one in ten of one that is not, each timed alone.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for _path in (str(ROOT), str(HERE)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from _common import emit, parse_args, say, table  # noqa: E402

from kiosk.scanner.gs1 import check_digit  # noqa: E402

GOALS = {"import_s": 3.0, "peak_rss_added_mb": 30.0, "lookup_p95_ms": 0.2}

_CHILD = """
import json, random, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from _common import percentiles
from kiosk.scanner import gs1_gtin
from kiosk.prices import Limits, PriceBook

def status():
    fields = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
    return {k: int(fields[k].split()[0]) for k in ("VmRSS", "VmHWM")}

db, path = Path(sys.argv[1]), Path(sys.argv[2])
barcodes = json.loads(Path(sys.argv[3]).read_text())
book = PriceBook(db)
before = status()
runs = []
for _ in range(2):
    wall0, cpu0 = time.perf_counter(), time.process_time()
    outcome = book.import_file(path, gs1_gtin, Limits())
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    assert outcome.accepted, outcome.problems[:5]
    runs.append({"wall_s": wall, "cpu_s": cpu, "entries": outcome.summary.entries})
after = status()
rng = random.Random(2)
samples, found = [], 0
for _ in range(20000):
    barcode = rng.choice(barcodes) if rng.random() < 0.9 else "2000000000008"
    t0 = time.perf_counter()
    entry = book.lookup(barcode)
    samples.append((time.perf_counter() - t0) * 1000)
    found += entry is not None
print(json.dumps({"runs": runs, "rss_before_kb": before["VmRSS"], "hwm_after_kb": after["VmHWM"],
                  "lookup_ms": percentiles(samples), "found": found,
                  "db_mb": db.stat().st_size / 2**20}))
"""


def generate(path: Path, rows: int) -> list[str]:
    """A price file of `rows` distinct EAN-13s; a sample of its barcodes for lookups."""
    rng = random.Random(1)
    bodies = rng.sample(range(10**10), rows)
    barcodes = []
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("barcode,price,promo_price,promo_from,promo_until,unit_price,unit,age_limit,"
                "recall,name\n")
        for i, n in enumerate(bodies):
            body = f"40{n:010d}"
            barcode = body + check_digit(body)
            barcodes.append(barcode)
            cents = rng.randrange(19, 9999)
            promo = (f"{cents * 8 // 1000}.{cents * 8 // 10 % 100:02d},2026-12-01,2026-12-31"
                     if i % 10 == 0 else ",,")
            unit = f"{cents / 75:.2f},100 g" if i % 3 == 0 else ","
            age = "18" if i % 20 == 0 else ""
            recall = '"Recalled: do not buy, ask staff"' if i % 100 == 0 else ""
            f.write(f"{barcode},{cents // 100}.{cents % 100:02d},{promo},{unit},{age},{recall},"
                    f"Product number {i} from the generated catalog\n")
    return rng.sample(barcodes, 2000)


def main() -> int:
    args = parse_args((__doc__ or "").splitlines()[0], quick="20,000 rows instead of 100,000")
    rows = 20_000 if args.quick else 100_000
    with tempfile.TemporaryDirectory(prefix="bench-prices-") as tmp:
        work = Path(tmp)
        say(f"generating {rows} rows")
        (work / "sample.json").write_text(json.dumps(generate(work / "prices.csv", rows)))
        file_mb = (work / "prices.csv").stat().st_size / 2**20
        say("importing and looking up in a child process")
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, str(work / "prices.db"), str(work / "prices.csv"),
             str(work / "sample.json"), str(HERE)],
            capture_output=True, text=True, check=False,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
    if proc.returncode != 0:
        print(f"prices bench: the import child failed:\n{proc.stderr[-3000:]}", file=sys.stderr)
        return 1
    child = json.loads(proc.stdout)
    first, again = child["runs"]
    fig = {
        "quick": args.quick, "rows": rows, "file_mb": round(file_mb, 1),
        "db_mb": round(child["db_mb"], 1), "goals": GOALS,
        "import_s": first["wall_s"], "import_cpu_s": first["cpu_s"],
        "import_cpu_pct": 100 * first["cpu_s"] / first["wall_s"],
        "reimport_s": again["wall_s"], "reimport_cpu_s": again["cpu_s"],
        "reimport_cpu_pct": 100 * again["cpu_s"] / again["wall_s"],
        "load_average": os.getloadavg(),
        "peak_rss_added_mb": (child["hwm_after_kb"] - child["rss_before_kb"]) / 1024,
        "lookup_ms": child["lookup_ms"], "lookups_found": child["found"],
    }
    lk = fig["lookup_ms"]
    print(f"{rows:,} rows, {fig['file_mb']} MB of CSV; prices.db {fig['db_mb']} MB; load "
          f"average {fig['load_average'][0]:.1f} on {os.cpu_count()} CPUs (a % CPU well "
          "under 100 is time the import waited for a CPU or the disk)")
    print(table([
        ("figure", "value", "goal"),
        ("import into an empty prices.db", f"{fig['import_s']:.2f} s "
         f"({fig['import_cpu_s']:.2f} s CPU, {fig['import_cpu_pct']:.0f} %)",
         f"<= {GOALS['import_s']:g} s"),
        ("import over a full prices.db", f"{fig['reimport_s']:.2f} s "
         f"({fig['reimport_cpu_s']:.2f} s CPU, {fig['reimport_cpu_pct']:.0f} %)",
         f"<= {GOALS['import_s']:g} s"),
        ("peak RSS added by both", f"{fig['peak_rss_added_mb']:.1f} MB",
         f"<= {GOALS['peak_rss_added_mb']:g} MB"),
        ("lookup p50 / p95 / p99", f"{lk['p50']:.3f} / {lk['p95']:.3f} / {lk['p99']:.3f} ms",
         f"p95 <= {GOALS['lookup_p95_ms']:g} ms"),
    ]))
    missed = [name for name, ok in (
        ("import", max(fig["import_s"], fig["reimport_s"]) <= GOALS["import_s"]),
        ("peak RSS", fig["peak_rss_added_mb"] <= GOALS["peak_rss_added_mb"]),
        ("lookup p95", lk["p95"] <= GOALS["lookup_p95_ms"])) if not ok]
    fig["missed"] = missed
    if missed:
        print(f"goals missed: {', '.join(missed)}")
    emit(args, fig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
