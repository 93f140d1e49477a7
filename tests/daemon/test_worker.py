"""The scan worker in-process: the real `ScanWorker`, `Lookups`, store and `ApiClient`,
the API an httpx `MockTransport` that holds a lookup until the test lets it go. Fast:
no daemon, no display, no network; every wait is on an event, never on the clock."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kiosk.daemon import Lookups, ScanResult
from kiosk.daemon.worker import ScanWorker
from kiosk.outcome import Outcome
from kiosk.product import Product
from kiosk.scanner import Scan
from kiosk.store import Store
from tests.barcodes import CEREAL, FISH, SNACK, UNKNOWN
from tests.helpers import mock_api

SLOW, CACHED, LATER, LAST = CEREAL, FISH, SNACK, UNKNOWN
TOKENS = {"access_token": "at", "refresh_token": "rt", "token_type": "Bearer",
          "expires_in": 3600}
PRICING = {"per_scope_rate": 0.3, "per_image_rate": 1.0, "head_rate": 0.05,
           "image_redirect_rate": 1.0}


class HeldApi:
    """A fake API that answers everything at once except lookups of `SLOW`, which it
    holds until `release` is set (and then answers 503: saved for later)."""

    def __init__(self) -> None:
        self.holding = threading.Event()
        self.release = threading.Event()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/auth/token"):
            return httpx.Response(200, json=TOKENS)
        if path.endswith("/pricing"):
            return httpx.Response(200, json=PRICING)
        if path.endswith(f"/products/{SLOW}"):
            self.holding.set()
            assert self.release.wait(30)
            return httpx.Response(503)
        return httpx.Response(404, json={"error": {"code": "not_found"}})


@pytest.fixture
def api() -> Iterator[HeldApi]:
    held = HeldApi()
    yield held
    held.release.set()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "state", tmp_path / "cache") as s:
        s.cache.put(CACHED, Product(CACHED, name="Fish Sticks"))
        yield s


def worker_for(store: Store, api: HeldApi, tmp_path: Path,
               records: queue.Queue[ScanResult]) -> ScanWorker:
    client = mock_api(api, tmp_path, timeout_s=30.0, deadline_s=30.0, retries=0)
    return ScanWorker(Lookups(store, client), records.put, duplicate_window_s=0)


def test_a_cached_card_overtakes_a_slow_lookup_and_keeps_its_scan_order(
        store: Store, api: HeldApi, tmp_path: Path) -> None:
    records: queue.Queue[ScanResult] = queue.Queue()
    worker = worker_for(store, api, tmp_path, records)
    worker.start()
    try:
        worker.submit(Scan(SLOW, "serial:0", 1.0))
        assert api.holding.wait(10)  # the lookup lane is held in the API
        worker.submit(Scan(CACHED, "serial:0", 2.0))
        first = records.get(timeout=10)  # answered by the fast lane meanwhile
        assert (first.barcode, first.outcome, first.seq) == (CACHED, Outcome.CACHED, 2)
        assert records.empty()
        api.release.set()
        second = records.get(timeout=10)
        # The older scan's answer comes later, but says it is older: the screen keeps
        # the newer card (Daemon._scanned compares seq).
        assert (second.barcode, second.outcome, second.seq) == (SLOW, Outcome.QUEUED, 1)
    finally:
        api.release.set()
        worker.stop()


def test_stop_saves_the_lookup_in_flight_and_every_scan_waiting(
        store: Store, api: HeldApi, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    records: queue.Queue[ScanResult] = queue.Queue()
    worker = worker_for(store, api, tmp_path, records)
    worker.start()
    worker.submit(Scan(SLOW, "serial:0", 1.0))
    assert api.holding.wait(10)
    for code in (LATER, LAST):  # behind it, in the lookup lane or still in the inbox
        worker.submit(Scan(code, "serial:0", 2.0))
    worker.stop(timeout=0.5)  # the held lookup does not finish in time
    saved = store.queue.items()
    assert [(i.barcode, i.reason) for i in saved] == [
        (SLOW, "shutdown"), (LATER, "shutdown"), (LAST, "shutdown")]
    assert f"stopping during the lookup of {SLOW}; saving it for later" in caplog.text
    assert records.empty()  # none was answered: every one is on disk instead
