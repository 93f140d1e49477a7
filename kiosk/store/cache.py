"""The product cache: API answers, their images and known misses, bounded by bytes.

A re-scanned product must show in a blink and cost no credits, so a hit is one indexed
SELECT on the reader connection plus one file read. Its image files are written
atomically *before* the row that names them is committed, so the database never
points at half a file; their size and CRC-32 are checked on read.

Wear: reading a card writes nothing. Access times for LRU are kept in memory and
written in batches (with the next `put`, by `flush_access_times`, or on close), so
an idle kiosk writes nothing at all. Eviction runs inside `put`, least recently used
first, down to 90 % of the bound and at most `evict_batch` products per call, so no
single scan pays for a large clean-up.

When the disk refuses a write, the product is kept in a small in-memory table so the
kiosk still shows it on the next scan, and `CacheWriteError` tells the caller.

Lifetimes (`product_ttl_s`, `miss_ttl_s`) are measured on the store's clock, which runs
on the monotonic clock within a boot and starts no earlier than the newest stamp
(`kiosk.clock.SteadyClock`, `kiosk.store.Store.follow_clock`): a step of the wall
clock by a year either way neither expires the cache (which would buy every product
again) nor keeps a miss or a product for a year. A stamp in the future of the clock
(only a clock the caller passes can be behind the stamps) is kept, and is fresh until
its lifetime has passed from that stamp: never treated as expired, and never fresh for
longer than a lifetime of the store's own running time.

`Cache` is the policy; its parts are private modules: the SQL index (`_cache_index`),
the image files (`_cache_files`), the in-memory fallback (`_cache_held`) and the LRU
order with its batched access times (`_cache_lru`).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from kiosk.atomic import fsync_dir
from kiosk.product import Product
from kiosk.store import _cache_index as index
from kiosk.store._cache_files import ImageFiles, ImageRef
from kiosk.store._cache_held import Held, HeldProducts
from kiosk.store._cache_index import CACHE_MIGRATIONS
from kiosk.store._cache_lru import AccessTimes, evict, flush_access
from kiosk.store._sqlite import classify
from kiosk.store.db import Database
from kiosk.store.errors import CacheWriteError, StoreCorrupt, StoreWriteError, WriteFailure
from kiosk.store.files import checksum, read_verified, remove_all
from kiosk.store.keys import check_barcode, check_image_key

__all__ = ["CACHE_MIGRATIONS", "ORIGINAL", "Cache", "CacheHit", "CacheStats", "CachedMiss"]

logger = logging.getLogger(__name__)

ORIGINAL = "front"
"""Image key of the front image's original bytes as the API served them."""


@dataclass(frozen=True)
class CacheHit:
    """A cached product. `stale`: older than the TTL (re-fetch when online).

    `saved` is False for a product held in memory because the disk refused it.
    `image` (the front image's original bytes) is read from its file on first use.
    """

    barcode: str
    product: Product  # typed and sanitized when read, whichever version wrote it
    stale: bool
    fetched_at: float
    updated_at: str | None
    credits: float
    saved: bool = True
    _ref: ImageRef | None = field(default=None, repr=False, compare=False)
    _data: bytes | None = field(default=None, repr=False, compare=False)

    @cached_property
    def image(self) -> bytes | None:
        if self._data is not None:
            return self._data
        if self._ref is None:
            return None
        return read_verified(self._ref.path, self._ref.size, self._ref.crc)


@dataclass(frozen=True)
class CachedMiss:
    """The API said 404 for this barcode less than `miss_ttl_s` ago."""

    barcode: str
    missed_at: float


@dataclass(frozen=True)
class CacheStats:
    products: int
    bytes: int
    max_bytes: int
    misses: int
    unsaved: int
    write_failure: WriteFailure | None


class Cache:
    """Products, images and misses in `db`, image files in `directory`."""

    def __init__(
        self,
        db: Database,
        directory: Path,
        *,
        product_ttl_s: float = 7 * 86400.0,
        miss_ttl_s: float = 3600.0,
        max_bytes: int = 200 * 1024 * 1024,
        clock: Callable[[], float] = time.time,
        evict_batch: int = 64,
        held_entries: int = 32,
        access_flush_threshold: int = 256,
    ) -> None:
        self._db = db
        self.directory = directory
        self.product_ttl_s = product_ttl_s
        self.miss_ttl_s = miss_ttl_s
        self.max_bytes = max_bytes
        self.evict_batch = evict_batch
        self._clock = clock
        self._files = ImageFiles(directory)
        self._access = AccessTimes(access_flush_threshold)
        self._held = HeldProducts(held_entries)

    # --- reading -----------------------------------------------------------------------

    def get(self, barcode: str) -> CacheHit | CachedMiss | None:
        """The cached product (fresh or stale), a recent miss, or None. Writes nothing."""
        check_barcode(barcode)
        now = self._clock()
        held, held_miss = self._held.get(barcode)
        if held is not None:
            return CacheHit(
                barcode=barcode, product=held.product,
                stale=now - held.fetched_at >= self.product_ttl_s, fetched_at=held.fetched_at,
                updated_at=held.product.updated_at, credits=held.credits, saved=False,
                _data=held.images.get(ORIGINAL),
            )
        row, miss = self._db.read(lambda c: index.find(c, barcode, ORIGINAL))
        if row is not None:
            product, fetched_at, updated_at, credits, file, size, crc = row
            self._access.touch(barcode, now)
            return CacheHit(
                barcode=barcode, product=_product(product, barcode),
                stale=now - fetched_at >= self.product_ttl_s, fetched_at=fetched_at,
                updated_at=updated_at, credits=credits,
                _ref=None if file is None else self._files.ref(file, size, crc),
            )
        missed_at = held_miss if miss is None else max(miss[0], held_miss or 0.0)
        if missed_at is not None and now - missed_at < self.miss_ttl_s:
            return CachedMiss(barcode, missed_at)
        return None

    def fetched_at(self, barcode: str) -> float | None:
        """When `barcode` was last fetched into the cache (None if absent); no LRU touch."""
        held, _ = self._held.get(barcode)
        if held is not None:
            return held.fetched_at
        return self._db.read(lambda c: index.fetched_at(c, barcode))

    def get_display_image(self, barcode: str, key: str) -> bytes | None:
        """Display-ready bytes stored by `put_display_image`, or None."""
        check_barcode(barcode)
        check_image_key(key)
        held, _ = self._held.get(barcode)
        if held is not None:
            return held.images.get(key)
        row = self._db.read(lambda c: index.image_row(c, barcode, key))
        if row is None:
            return None
        self._access.touch(barcode, self._clock())
        return read_verified(self._files.path(row[0]), row[1], row[2])

    def stats(self) -> CacheStats:
        products, size, misses = self._db.read(index.totals)
        return CacheStats(
            products=products, bytes=size, max_bytes=self.max_bytes, misses=misses,
            unsaved=len(self._held), write_failure=self._db.failing,
        )

    @property
    def access_flush_due(self) -> bool:
        return self._access.flush_due

    # --- writing -----------------------------------------------------------------------

    def put(
        self,
        barcode: str,
        product: Product,
        image: bytes | None = None,
        credits: float = 0.0,
        *,
        display_images: Mapping[str, bytes] | None = None,
        keep_images: bool = False,
    ) -> None:
        """Cache an API answer (and the front image) durably; evict LRU entries if over.

        A new front image drops the display copies made from the old one, unless it is
        byte-identical. `keep_images=True` with `image=None` refreshes the metadata only.
        Raises `CacheWriteError` when the disk refuses; the product is then held in memory.
        """
        check_barcode(barcode)
        extra = dict(display_images or {})
        for key in extra:
            check_image_key(key)
        text = json.dumps(product.to_record(), ensure_ascii=False, separators=(",", ":"))
        now = self._clock()
        written: list[Path] = []

        def txn(c: sqlite3.Connection) -> list[Path]:
            flush_access(c, self._access.take())
            existing = {key: self._files.ref(*row)
                        for key, row in index.image_files(c, barcode).items()}
            keep: set[str] = set()
            if image is None and keep_images:
                keep = set(existing)
            elif image is not None:
                old = existing.get(ORIGINAL)
                if old is not None and old.size == len(image) and old.crc == checksum(image):
                    keep = set(existing)  # same photo: its display copies still fit
                else:
                    extra.setdefault(ORIGINAL, image)
            keep -= set(extra)
            new_refs = {key: self._files.write(barcode, key, data, written)
                        for key, data in extra.items()}
            if written:
                fsync_dir(self.directory)
            index.upsert_product(c, barcode, text, product.updated_at, now, credits)
            dropped = [key for key in existing if key not in keep]
            index.drop_images(c, barcode, dropped)
            for key, ref in new_refs.items():
                index.add_image(c, barcode, key, ref.row)
            index.update_bytes(c, barcode)
            evicted = evict(c, self.max_bytes, self.evict_batch, keep_barcode=barcode)
            return [existing[key].path for key in dropped] + [
                self._files.path(name) for name in evicted]

        try:
            doomed = self._db.write(txn)
        except (StoreWriteError, OSError) as exc:
            remove_all(written)
            images = dict(display_images or {})
            if image is not None:
                images[ORIGINAL] = image
            self._held.hold(barcode, Held(product, now, credits, images))
            raise self._write_error(f"product {barcode} could not be cached", exc) from exc
        self._held.forget(barcode)
        remove_all(doomed)

    def put_display_image(self, barcode: str, key: str, data: bytes) -> bool:
        """Store display-ready bytes for a cached product; False if it is not cached."""
        check_barcode(barcode)
        check_image_key(key)
        if key == ORIGINAL:
            raise ValueError(f"{ORIGINAL!r} is the original image; use put()")
        if self._held.add_image(barcode, key, data):
            return True
        written: list[Path] = []

        def txn(c: sqlite3.Connection) -> tuple[bool, list[Path]]:
            if c.execute("SELECT 1 FROM products WHERE barcode = ?", (barcode,)).fetchone() is None:
                return False, []
            old = index.image_row(c, barcode, key)
            ref = self._files.write(barcode, key, data, written)
            fsync_dir(self.directory)
            index.add_image(c, barcode, key, ref.row, replace=True)
            index.update_bytes(c, barcode)
            return True, [] if old is None else [self._files.path(old[0])]

        try:
            stored, doomed = self._db.write(txn)
        except (StoreWriteError, OSError) as exc:
            remove_all(written)
            raise self._write_error(f"display image {key} of {barcode} not cached", exc) from exc
        if not stored:
            remove_all(written)
        remove_all(doomed)
        return stored

    def put_miss(self, barcode: str) -> None:
        """Remember that the API does not know `barcode` (and forget any cached product)."""
        check_barcode(barcode)
        now = self._clock()
        try:
            doomed = self._db.write(lambda c: index.put_miss(c, barcode, now, self.miss_ttl_s))
        except StoreWriteError as exc:
            self._held.hold_miss(barcode, now)
            raise self._write_error(f"miss for {barcode} could not be cached", exc) from exc
        self._held.forget(barcode)
        remove_all([self._files.path(name) for name in doomed])

    def flush_access_times(self) -> int:
        """Write batched LRU access times; how many. Writes nothing when none are pending."""
        pending = self._access.take()
        if not pending:
            return 0
        try:
            self._db.write(lambda c: flush_access(c, pending))
        except StoreWriteError:
            # Not worth holding on to: LRU order is a hint, not data.
            logger.debug("dropped %d access times: disk refused the write", len(pending))
            return 0
        return len(pending)

    def shift_held(self, step: float, upto: float) -> None:
        """Move the times of what is held in memory as the stored ones were moved."""
        self._held.shift(step, upto)

    def sweep(self) -> int:
        """Remove temp files and files no row names (left by a crash); how many.

        Run once at start-up; files younger than a few minutes are left alone in case
        another process (`kiosk lookup`) is in the middle of a put.
        """
        removed = self._files.sweep(lambda: self._db.read(index.referenced_files))
        if removed:
            logger.info("removed %d cache files left over by an interrupted write", removed)
        return removed

    # --- internals ---------------------------------------------------------------------

    def _write_error(self, what: str, exc: BaseException) -> CacheWriteError:
        if isinstance(exc, StoreWriteError):
            kind = exc.kind
        else:
            found = classify(exc)
            kind = found if found in ("full", "readonly", "io") else "io"
            self._db.note_failure(kind, exc)
        return CacheWriteError(f"{what}: {exc}", kind=kind)


def _product(text: str, barcode: str) -> Product:
    """The cached JSON as a `Product`: where the cache's copy enters, it goes through the
    same sanitizing constructor as an API answer (an entry an older version wrote too).

    Raises StoreCorrupt for a row that is not JSON (the caller asks the API instead)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise StoreCorrupt(f"cached product {barcode} is not JSON ({exc})") from None
    return Product.from_api(data, barcode=barcode)
