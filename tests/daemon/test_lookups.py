"""Scans through cache + API + queue against the sandbox: credits are spent once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.daemon import Lookups, ScanResult
from kiosk.sandbox import Sandbox
from kiosk.store import Store
from tests.barcodes import CEREAL, UNKNOWN
from tests.helpers import FakeClock, sandbox_api, sandbox_http


@pytest.fixture
def lookups(sandbox: Sandbox, tmp_path: Path, clock: FakeClock) -> Iterator[Lookups]:
    store = Store.open(tmp_path / "state", tmp_path / "cache", product_ttl_s=7 * 86400,
                       miss_ttl_s=3600, clock=clock)
    with sandbox_http(sandbox) as http:
        api = sandbox_api(sandbox, http, tmp_path / "state", deadline_s=3.0, retries=0)
        yield Lookups(store, api, prepare=lambda data: b"ready:" + data[:16], display_key="d")
    store.close()


def test_each_product_costs_one_lookup_however_often_it_is_scanned(
        sandbox: Sandbox, lookups: Lookups) -> None:
    with_front = [b for b, p in sandbox.catalog.items() if p["image_meta"]["front"]][:5]
    without_front = [b for b, p in sandbox.catalog.items() if not p["image_meta"]["front"]][:2]
    for _ in range(4):
        for barcode in with_front + without_front:
            answer = lookups.lookup(barcode)
            assert answer.outcome in ("shown", "cached")
    for barcode in with_front:
        assert sandbox.credits_spent(barcode) == pytest.approx(1.3)
        assert len(sandbox.image_downloads(barcode)) == 1
    for barcode in without_front:
        assert sandbox.credits_spent(barcode) == pytest.approx(0.3)
        assert sandbox.image_downloads(barcode) == []
    assert sandbox.credits_spent() == pytest.approx(5 * 1.3 + 2 * 0.3)


def test_second_scan_is_cached_with_a_display_ready_image(sandbox: Sandbox,
                                                          lookups: Lookups) -> None:
    first = lookups.lookup(CEREAL)
    assert first.outcome == "shown" and first.credits == pytest.approx(1.3)
    assert first.image is not None and first.image.startswith(b"ready:")
    second = lookups.lookup(CEREAL)
    assert (second.outcome, second.credits, second.from_cache) == ("cached", 0.0, True)
    assert second.image == first.image
    assert second.product == first.product


def test_the_answer_is_handed_over_first_the_cache_written_after(
        sandbox: Sandbox, lookups: Lookups) -> None:
    seen: list[tuple[str, bool, object]] = []

    def note(answer: ScanResult) -> None:
        seen.append((answer.outcome, answer.photo_pending, lookups.store.cache.get(CEREAL)))

    final = lookups.lookup(CEREAL, on_data=note, on_shown=note)
    # Data without the photo, then the card: both before the disk has the product.
    assert seen == [("shown", True, None), ("shown", False, None)]
    assert final.image is not None and final.image.startswith(b"ready:")
    assert lookups.store.cache.get(CEREAL) is not None
    seen.clear()
    again = lookups.lookup(CEREAL, on_data=note, on_shown=note)
    assert again.outcome == "cached" and seen == []  # from the cache: complete, no calls


def test_unknown_code_is_asked_once_while_the_miss_is_fresh(
        sandbox: Sandbox, lookups: Lookups, clock: FakeClock) -> None:
    for _ in range(3):
        assert lookups.lookup(UNKNOWN).outcome == "not_found"
    assert sandbox.request_count("/products/012345678905") == 1
    clock.now += 3601
    assert lookups.lookup(UNKNOWN).outcome == "not_found"
    assert sandbox.request_count("/products/012345678905") == 2


def test_offline_scan_is_queued_then_resolved_by_the_drainer_path(
        sandbox: Sandbox, lookups: Lookups) -> None:
    sandbox.set_online(False)
    answer = lookups.lookup(CEREAL, source="serial:/dev/ttyUSB0")
    assert (answer.outcome, answer.reason, answer.saved) == ("queued", "network", True)
    assert lookups.lookup(CEREAL).outcome == "queued"  # the same barcode is queued once
    assert lookups.store.queue.stats().depth == 1
    sandbox.set_online(True)
    resolution = lookups.resolve(CEREAL)
    assert resolution.credits == pytest.approx(1.3)
    lookups.store.queue.complete(CEREAL)
    assert lookups.lookup(CEREAL).outcome == "cached"
    assert sandbox.credits_spent(CEREAL) == pytest.approx(1.3)


def test_stale_product_is_refetched_online_and_shown_stale_offline(
        sandbox: Sandbox, lookups: Lookups, clock: FakeClock) -> None:
    lookups.lookup(CEREAL)
    clock.now += 8 * 86400
    sandbox.set_online(False)
    offline = lookups.lookup(CEREAL)
    assert (offline.outcome, offline.stale, offline.credits) == ("cached", True, 0.0)
    assert offline.product is not None
    assert lookups.store.queue.stats().depth == 0  # shown, not queued
    sandbox.set_online(True)
    online = lookups.lookup(CEREAL)
    assert (online.outcome, online.stale) == ("shown", False)
    assert sandbox.credits_spent(CEREAL) == pytest.approx(2.6)
