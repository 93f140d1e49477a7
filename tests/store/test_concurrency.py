"""Two processes on the same files: the daemon draining, `kiosk lookup`/`status` reading."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kiosk.store import CachedMiss, CacheHit, Store
from tests.store.store_helpers import product

ROOT = Path(__file__).resolve().parents[2]

_WORKER = """
import sys
from pathlib import Path
from kiosk.product import Product
from kiosk.store import Store
root = Path(sys.argv[1])
with Store.open(root / "state", root / "cache") as store:
    print("ready", flush=True)
    for i in range(300):
        store.queue.enqueue(f"1{i:011d}", "hid:0", "network")
        if i % 2:
            item = store.queue.peek()
            store.resolve_queued(item.barcode, Product(item.barcode), bytes(2000), 1.3)
print("done", flush=True)
"""


def test_daemon_and_cli_at_once(tmp_path: Path) -> None:
    Store.open(tmp_path / "state", tmp_path / "cache").close()
    worker = subprocess.Popen(
        [sys.executable, "-c", _WORKER, str(tmp_path)], stdout=subprocess.PIPE, text=True,
        stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert worker.stdout is not None
    assert worker.stdout.readline() == "ready\n"
    writes = 0
    depth = products = 0
    while worker.poll() is None:
        with Store.open(tmp_path / "state", tmp_path / "cache", readonly=True) as status:
            stats = status.stats()  # `kiosk status`
        # The worker only adds to the cache, and takes one scan off the queue for every
        # two it adds (so the queue is at most 151 deep, between the last two commits):
        # a reader that saw a torn or stale file would see figures go back.
        assert stats.cache.products >= max(products, writes)
        assert depth - 1 <= stats.queue.depth <= 151
        depth, products = stats.queue.depth, stats.cache.products
        with Store.open(tmp_path / "state", tmp_path / "cache") as cli:  # `kiosk lookup`
            barcode = f"2{writes:011d}"
            cli.cache.put(barcode, product(barcode), b"img", credits=1.3)
            assert isinstance(cli.cache.get(barcode), CacheHit)
            for item in cli.queue.items(limit=5):
                assert isinstance(cli.cache.get(item.barcode), CacheHit | CachedMiss | None)
            writes += 1
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert out == "done\n"
    assert writes > 1
    with Store.open(tmp_path / "state", tmp_path / "cache") as s:
        assert s.stats().queue.depth == 150
        assert s.stats().cache.products == 150 + writes
        assert s.integrity_check() == {"queue": ["ok"], "cache": ["ok"]}
