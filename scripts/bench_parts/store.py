"""Store: enqueue and cache-hit latency, fsyncs and bytes written per queued scan.

Method:
- latencies: time.perf_counter around each call, on a temp dir on the disk this runs on.
- fsyncs per scan: a child process enqueues N scans under `strace -f -c -e
  trace=fsync,fdatasync`; the same child with N=0 (open + close only) is the baseline;
  (calls(N) - calls(0)) / N. This counts SQLite's own syncs, not just os.fsync.
  Without strace, the figure is reported as unavailable.
- bytes per scan: `write_bytes` (sent to the block layer) and `wchar` (write syscalls)
  from /proc/self/io around the enqueue loop, in the same child.
- open cost: Store.open (with PRAGMA quick_check) on a cache of N products.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import emit, parse_args, percentiles, table

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kiosk.product import Product  # noqa: E402
from kiosk.store import CacheHit, Store  # noqa: E402

_CHILD = """
import json, sys
from pathlib import Path
from kiosk.store import Store
n, root = int(sys.argv[1]), Path(sys.argv[2])
def io():
    fields = dict(line.split(": ") for line in open("/proc/self/io").read().splitlines())
    return int(fields["write_bytes"]), int(fields["wchar"])
store = Store.open(root / "state", root / "cache")
store.queue.enqueue("000000000000", "warm", "network")
before = io()
for i in range(n):
    store.queue.enqueue(f"{i + 1:012d}", "hid:0", "network")
after = io()
print(json.dumps({"write_bytes": after[0] - before[0], "wchar": after[1] - before[1]}))
store.close()
"""


def _child(n: int, root: Path, strace: str | None) -> tuple[dict[str, int], int | None]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-c", _CHILD, str(n), str(root)]
    if strace is None:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
        return json.loads(out.stdout), None
    root.mkdir(parents=True, exist_ok=True)
    trace = root / "strace.txt"
    out = subprocess.run([strace, "-f", "-c", "-e", "trace=fsync,fdatasync", "-o", str(trace),
                          *cmd], capture_output=True, text=True, env=env, check=True)
    syncs = 0
    for line in trace.read_text().splitlines():
        parts = line.split()
        if parts and parts[-1] in ("fsync", "fdatasync"):
            syncs += int(parts[3]) if len(parts) >= 6 else int(parts[-2])
    return json.loads(out.stdout), syncs


def main() -> None:
    args = parse_args(__doc__ or "")
    figures: dict[str, object] = {}
    base = Path(tempfile.mkdtemp(prefix="bench-store-"))
    try:
        with Store.open(base / "state", base / "cache") as store:
            lat = []
            for i in range(300):
                t0 = time.perf_counter()
                store.queue.enqueue(f"{i:012d}", "hid:0", "network")
                lat.append((time.perf_counter() - t0) * 1000)
            figures["enqueue_ms"] = percentiles(lat)

            rng = random.Random(1)
            barcodes = [f"5{i:011d}" for i in range(300)]
            meta = Product.from_api({"product_meta": {
                "product_name": "x" * 200, "product_description": "x" * 3800,
                "updated_at": "2026-06-22"}})
            for b in barcodes:
                store.cache.put(b, meta, rng.randbytes(180_000), credits=1.3)
                store.cache.put_display_image(b, "display-800x480-shopper", rng.randbytes(60_000))
            hit, with_image, display = [], [], []
            for _ in range(3000):
                b = rng.choice(barcodes)
                t0 = time.perf_counter()
                got = store.cache.get(b)
                t1 = time.perf_counter()
                assert isinstance(got, CacheHit)
                assert got.image is not None
                t2 = time.perf_counter()
                store.cache.get_display_image(b, "display-800x480-shopper")
                t3 = time.perf_counter()
                hit.append((t1 - t0) * 1000)
                with_image.append((t2 - t0) * 1000)
                display.append((t3 - t2) * 1000)
            figures["cache_hit_data_ms"] = percentiles(hit)
            figures["cache_hit_with_180kB_image_ms"] = percentiles(with_image)
            figures["display_image_60kB_ms"] = percentiles(display)

        big = base / "big"
        big_product = Product.from_api({"product_meta": {"product_description": "y" * 4000,
                                                         "notes": "y" * 4000}})
        with Store.open(big / "state", big / "cache", max_bytes=10**10) as store:
            for i in range(2000):
                store.cache.put(f"6{i:011d}", big_product, None)
        opens = []
        for _ in range(5):
            t0 = time.perf_counter()
            Store.open(big / "state", big / "cache").close()
            opens.append((time.perf_counter() - t0) * 1000)
        figures["open_with_quick_check_2000_products_ms"] = percentiles(opens)
        figures["cache_db_mb"] = round((big / "cache" / "cache.db").stat().st_size / 2**20, 1)

        n = 200
        strace = shutil.which("strace")
        io_n, sync_n = _child(n, base / "c1", strace)
        io_0, sync_0 = _child(0, base / "c0", strace)
        figures["fsyncs_per_scan"] = (
            None if sync_n is None or sync_0 is None else (sync_n - sync_0) / n)
        figures["fsync_method"] = "strace -f -c" if strace else "unavailable (no strace)"
        figures["write_bytes_per_scan"] = (io_n["write_bytes"] - io_0["write_bytes"]) / n
        figures["wchar_per_scan"] = (io_n["wchar"] - io_0["wchar"]) / n
    finally:
        shutil.rmtree(base, ignore_errors=True)

    rows = [("figure", "p50", "p95", "p99")]
    for key in ("enqueue_ms", "cache_hit_data_ms", "cache_hit_with_180kB_image_ms",
                "display_image_60kB_ms", "open_with_quick_check_2000_products_ms"):
        p = figures[key]
        assert isinstance(p, dict)
        rows.append((key, f"{p['p50']:.3f}", f"{p['p95']:.3f}", f"{p['p99']:.3f}"))
    print(table(rows))
    print(f"cache db for the open figure: {figures['cache_db_mb']} MiB")
    print(f"fsync+fdatasync per queued scan: {figures['fsyncs_per_scan']} "
          f"({figures['fsync_method']})")
    print(f"bytes per queued scan: write_bytes {figures['write_bytes_per_scan']:.0f}, "
          f"wchar {figures['wchar_per_scan']:.0f}")
    emit(args, figures)


if __name__ == "__main__":
    main()
