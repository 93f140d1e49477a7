"""The store's contract, run against a temp-file store and an in-memory one."""

from __future__ import annotations

import pytest

from kiosk.product import Product
from kiosk.store import CachedMiss, CacheHit, Store
from tests.barcodes import CEREAL, FISH
from tests.helpers import FakeClock
from tests.store.store_helpers import product

DAY = 86400.0


class TestQueueContract:
    def test_enqueue_returns_the_saved_item(self, store: Store, clock: FakeClock) -> None:
        item = store.queue.enqueue(CEREAL, "hid:0", "network", scanned_at=clock.now - 5)
        assert item.saved
        assert item.barcode == CEREAL
        assert item.first_scanned_at == clock.now - 5
        assert store.queue.peek() == item

    def test_fifo_by_first_enqueue_and_dedupe(self, store: Store, clock: FakeClock) -> None:
        for barcode, source in [(FISH, "hid:0"), (CEREAL, "hid:0"),
                                (FISH, "serial:1"), ("04963406", "hid:0")]:
            store.queue.enqueue(barcode, source, "network")
            clock.advance(1)
        items = store.queue.items()
        assert [i.barcode for i in items] == [FISH, CEREAL, "04963406"]
        assert items[0].count == 2
        assert items[0].sources == ("hid:0", "serial:1")
        assert items[0].last_scanned_at == items[0].first_scanned_at + 2

    def test_leading_zeros_are_kept(self, store: Store) -> None:
        store.queue.enqueue(FISH, "hid:0", "network")
        store.queue.enqueue("413000222", "hid:0", "network")
        assert [i.barcode for i in store.queue.items()] == [FISH, "413000222"]

    @pytest.mark.parametrize("bad", [413000222, "12 34", "../etc", ""])
    def test_rejects_non_barcodes(self, store: Store, bad: object) -> None:
        with pytest.raises((TypeError, ValueError)):
            store.queue.enqueue(bad, "hid:0", "network")  # type: ignore[arg-type]

    def test_complete_and_stats(self, store: Store, clock: FakeClock) -> None:
        assert store.queue.stats().depth == 0
        assert store.queue.stats().oldest_age_s is None
        store.queue.enqueue(FISH, "hid:0", "network")
        clock.advance(30)
        store.queue.enqueue(CEREAL, "hid:0", "server_error")
        store.queue.record_failure(FISH, "rate_limited")
        stats = store.queue.stats()
        assert (stats.depth, stats.oldest_age_s, stats.last_error) == (2, 30.0, "rate_limited")
        head = store.queue.peek()
        assert head is not None and head.attempts == 1
        assert store.queue.complete(FISH)
        assert not store.queue.complete(FISH)
        assert [i.barcode for i in store.queue.items()] == [CEREAL]


class TestCacheContract:
    def test_miss_then_hit_with_image_and_metadata(self, store: Store, clock: FakeClock) -> None:
        assert store.cache.get(FISH) is None
        store.cache.put(FISH, product(FISH), b"\xff\xd8jpeg", credits=1.3)
        hit = store.cache.get(FISH)
        assert isinstance(hit, CacheHit)
        assert hit.product.name == "Fish Sticks"
        assert hit.image == b"\xff\xd8jpeg"
        assert (hit.stale, hit.credits, hit.fetched_at) == (False, 1.3, clock.now)
        assert hit.updated_at == "2026-06-22 09:54:07"

    def test_product_without_image(self, store: Store) -> None:
        store.cache.put("04963406", product("04963406"), None, credits=0.3)
        hit = store.cache.get("04963406")
        assert isinstance(hit, CacheHit) and hit.image is None

    def test_stale_after_ttl_but_still_returned(self, store: Store, clock: FakeClock) -> None:
        store.cache.put(FISH, product(FISH), b"img", credits=1.3)
        clock.advance(7 * DAY - 1)
        assert store.cache.get(FISH).stale is False  # type: ignore[union-attr]
        clock.advance(2)
        hit = store.cache.get(FISH)
        assert isinstance(hit, CacheHit) and hit.stale and hit.image == b"img"
        store.cache.put(FISH, product(FISH, "New"), b"img", credits=1.3)
        hit = store.cache.get(FISH)
        assert isinstance(hit, CacheHit) and not hit.stale
        assert hit.product.name == "New"

    def test_negative_cache_expires(self, store: Store, clock: FakeClock) -> None:
        store.cache.put_miss("099999999993")
        assert store.cache.get("099999999993") == CachedMiss("099999999993", clock.now)
        clock.advance(3599)
        assert isinstance(store.cache.get("099999999993"), CachedMiss)
        clock.advance(2)
        assert store.cache.get("099999999993") is None

    def test_found_after_a_miss_replaces_it_and_miss_drops_product(self, store: Store) -> None:
        store.cache.put_miss(FISH)
        store.cache.put(FISH, product(FISH), b"img")
        assert isinstance(store.cache.get(FISH), CacheHit)
        store.cache.put_miss(FISH)
        assert isinstance(store.cache.get(FISH), CachedMiss)
        assert store.cache.stats().products == 0
        assert list(store.cache.directory.iterdir()) == []

    def test_display_images(self, store: Store) -> None:
        key = "display-800x480-shopper"
        assert not store.cache.put_display_image(FISH, key, b"small")
        store.cache.put(FISH, product(FISH), b"big-original")
        assert store.cache.put_display_image(FISH, key, b"small")
        assert store.cache.get_display_image(FISH, key) == b"small"
        assert store.cache.get_display_image(FISH, "display-1024x600-staff") is None
        # the same photo again keeps the scaled copy; a new photo drops it
        store.cache.put(FISH, product(FISH), b"big-original")
        assert store.cache.get_display_image(FISH, key) == b"small"
        store.cache.put(FISH, product(FISH), b"another photo")
        assert store.cache.get_display_image(FISH, key) is None
        assert len(list(store.cache.directory.iterdir())) == 1

    def test_metadata_refresh_keeps_images(self, store: Store) -> None:
        store.cache.put(FISH, product(FISH), b"photo")
        store.cache.put(FISH, product(FISH, "Renamed"), None, 0.3,
                        keep_images=True)
        hit = store.cache.get(FISH)
        assert isinstance(hit, CacheHit) and hit.image == b"photo" and hit.credits == 0.3

    def test_lru_eviction_by_bytes(self, tmp_path, clock: FakeClock, store: Store) -> None:
        cache = store.cache
        cache.max_bytes = 14_000  # eight products of about 1.6 kB fit
        for i in range(8):
            cache.put(f"1000000000{i:02d}", Product(str(i)), bytes(1000), credits=1.0)
            clock.advance(1)
        cache.get("100000000000")  # the oldest, now recently used
        cache.flush_access_times()
        cache.put("100000000099", Product("99"), bytes(4000), credits=1.0)
        stats = cache.stats()
        assert stats.bytes <= cache.max_bytes
        assert isinstance(cache.get("100000000000"), CacheHit)  # touched: kept
        assert cache.get("100000000001") is None  # least recently used: gone
        assert isinstance(cache.get("100000000099"), CacheHit)
        on_disk = sum(p.stat().st_size for p in cache.directory.iterdir())
        assert on_disk <= stats.bytes

    def test_eviction_work_per_put_is_bounded(self, store: Store, clock: FakeClock) -> None:
        cache = store.cache
        for i in range(150):
            cache.put(f"2{i:011d}", Product(str(i)), bytes(100))
            clock.advance(1)
        cache.max_bytes = 1_000
        cache.evict_batch = 64
        cache.put("300000000000", Product("0"), bytes(100))
        assert cache.stats().products == 151 - 64
        cache.put("300000000001", Product("1"), bytes(100))
        assert cache.stats().products == 152 - 128

    def test_reads_do_not_write_until_flushed(self, store: Store, clock: FakeClock) -> None:
        cache = store.cache
        cache.put("000000000017", Product("1"), b"a")
        clock.advance(10)
        cache.put("000000000024", Product("2"), b"b")
        clock.advance(10)
        cache.get("000000000017")
        # Not yet written: the LRU victim is still the one just read.
        lru = "SELECT barcode FROM products ORDER BY last_access"
        order = store._cache_db.read(lambda c: [r[0] for r in c.execute(lru)])
        assert order == ["000000000017", "000000000024"]
        assert cache.flush_access_times() == 1
        assert cache.flush_access_times() == 0
        order = store._cache_db.read(lambda c: [r[0] for r in c.execute(lru)])
        assert order == ["000000000024", "000000000017"]

    def test_resolve_queued_caches_then_dequeues(self, store: Store) -> None:
        store.queue.enqueue(FISH, "hid:0", "network")
        store.queue.enqueue("099999999993", "hid:0", "network")
        store.resolve_queued(FISH, product(FISH), b"img", 1.3)
        store.resolve_queued("099999999993", None)
        assert store.queue.items() == []
        assert isinstance(store.cache.get(FISH), CacheHit)
        assert isinstance(store.cache.get("099999999993"), CachedMiss)
