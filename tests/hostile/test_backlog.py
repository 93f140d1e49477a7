"""While the API is slow, uncached scans wait on disk, not in memory: past a few waiting
behind a slow lookup, they are queued durably at once (REASON=busy). A lookup counts as
slow after `slow_after_s`; 0 here, so the test waits on events, not on the clock."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import httpx

from kiosk.daemon import Lookups, ScanResult
from kiosk.daemon.worker import MAX_WAITING, ScanWorker
from kiosk.scanner import Scan
from kiosk.store import Store
from tests.helpers import mock_api

# Valid UPC-A codes (check digits right) the fake API never answers in time.
CODES = [f"0{n:010d}" for n in range(100, 130)]


def upc(body: str) -> str:
    odd = sum(int(d) for d in body[0::2])
    even = sum(int(d) for d in body[1::2])
    return body + str((10 - (odd * 3 + even) % 10) % 10)


def test_scans_behind_a_slow_lookup_are_queued_durably(tmp_path: Path) -> None:
    inside, release = threading.Event(), threading.Event()

    def slow_api(request: httpx.Request) -> httpx.Response:
        inside.set()
        release.wait(10)
        return httpx.Response(503)

    api = mock_api(slow_api, tmp_path, timeout_s=20.0, deadline_s=20.0, retries=0)
    records: queue.Queue[ScanResult] = queue.Queue()
    codes = [upc(c) for c in CODES[: MAX_WAITING + 4]]
    with Store.open(tmp_path / "state", tmp_path / "cache") as store:
        worker = ScanWorker(Lookups(store, api), records.put, duplicate_window_s=0,
                            slow_after_s=0.0)
        worker.start()
        try:
            worker.submit(Scan(codes[0], "serial:0", 0.0))
            assert inside.wait(10)  # the first lookup hangs in the API
            for code in codes[1:]:
                worker.submit(Scan(code, "serial:0", 0.0))
            busy = [records.get(timeout=10) for _ in range(3)]
            assert [(r.barcode, r.outcome, r.reason) for r in busy] == [
                (c, "queued", "busy") for c in codes[1 + MAX_WAITING:]]
            assert {i.barcode for i in store.queue.items()} == set(codes[1 + MAX_WAITING:])
        finally:
            release.set()
            worker.stop()
