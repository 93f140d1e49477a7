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
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from kiosk.atomic import fsync_dir, write_atomic
from kiosk.product import Product
from kiosk.store.db import Database, classify
from kiosk.store.errors import CacheWriteError, StoreCorrupt, StoreWriteError, WriteFailure
from kiosk.store.files import checksum, read_verified, remove_all
from kiosk.store.keys import check_barcode, check_image_key

__all__ = ["CACHE_MIGRATIONS", "ORIGINAL", "Cache", "CacheHit", "CacheStats", "CachedMiss"]

logger = logging.getLogger(__name__)

ORIGINAL = "front"
"""Image key of the front image's original bytes as the API served them."""

CACHE_MIGRATIONS = (
    (
        """CREATE TABLE products (
            barcode TEXT PRIMARY KEY CHECK (typeof(barcode) = 'text'),
            product TEXT NOT NULL,
            updated_at TEXT,
            fetched_at REAL NOT NULL,
            credits REAL NOT NULL DEFAULT 0,
            last_access REAL NOT NULL,
            bytes INTEGER NOT NULL DEFAULT 0
        )""",
        "CREATE INDEX products_by_access ON products (last_access)",
        """CREATE TABLE images (
            barcode TEXT NOT NULL REFERENCES products (barcode) ON DELETE CASCADE,
            key TEXT NOT NULL,
            file TEXT NOT NULL,
            size INTEGER NOT NULL,
            crc INTEGER NOT NULL,
            PRIMARY KEY (barcode, key)
        )""",
        """CREATE TABLE misses (
            barcode TEXT PRIMARY KEY CHECK (typeof(barcode) = 'text'),
            missed_at REAL NOT NULL
        )""",
        "CREATE INDEX misses_by_time ON misses (missed_at)",
        # Running totals kept by triggers: the byte bound is checked on every put
        # without summing the whole table.
        """CREATE TABLE totals (
            id INTEGER PRIMARY KEY CHECK (id = 0),
            products INTEGER NOT NULL,
            bytes INTEGER NOT NULL
        )""",
        "INSERT INTO totals VALUES (0, 0, 0)",
        """CREATE TRIGGER products_ai AFTER INSERT ON products BEGIN
            UPDATE totals SET products = products + 1, bytes = bytes + NEW.bytes;
        END""",
        """CREATE TRIGGER products_ad AFTER DELETE ON products BEGIN
            UPDATE totals SET products = products - 1, bytes = bytes - OLD.bytes;
        END""",
        """CREATE TRIGGER products_au AFTER UPDATE OF bytes ON products BEGIN
            UPDATE totals SET bytes = bytes - OLD.bytes + NEW.bytes;
        END""",
    ),
)

_ORPHAN_GRACE_S = 600.0
"""Unreferenced files younger than this may belong to another process's open put."""


@dataclass(frozen=True)
class _ImageRef:
    path: Path
    size: int
    crc: int


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
    _ref: _ImageRef | None = field(default=None, repr=False, compare=False)
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


@dataclass
class _Held:
    """A product the disk refused, kept so the next scan still shows it."""

    product: Product
    fetched_at: float
    credits: float
    images: dict[str, bytes]


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
        self._held_entries = held_entries
        self._access_flush_threshold = access_flush_threshold
        self._lock = threading.Lock()
        self._pending_access: dict[str, float] = {}
        self._held: OrderedDict[str, _Held] = OrderedDict()
        self._held_misses: dict[str, float] = {}

    # --- reading -----------------------------------------------------------------------

    def get(self, barcode: str) -> CacheHit | CachedMiss | None:
        """The cached product (fresh or stale), a recent miss, or None. Writes nothing."""
        check_barcode(barcode)
        now = self._clock()
        with self._lock:
            held = self._held.get(barcode)
            held_miss = self._held_misses.get(barcode)
        if held is not None:
            return CacheHit(
                barcode=barcode, product=held.product,
                stale=now - held.fetched_at >= self.product_ttl_s, fetched_at=held.fetched_at,
                updated_at=held.product.updated_at, credits=held.credits, saved=False,
                _data=held.images.get(ORIGINAL),
            )

        def query(c: sqlite3.Connection) -> tuple[Any, Any]:
            row = c.execute(
                "SELECT p.product, p.fetched_at, p.updated_at, p.credits, i.file, i.size, i.crc "
                "FROM products p LEFT JOIN images i ON i.barcode = p.barcode AND i.key = ? "
                "WHERE p.barcode = ?",
                (ORIGINAL, barcode),
            ).fetchone()
            if row is not None:
                return row, None
            return None, c.execute(
                "SELECT missed_at FROM misses WHERE barcode = ?", (barcode,)
            ).fetchone()

        row, miss = self._db.read(query)
        if row is not None:
            product, fetched_at, updated_at, credits, file, size, crc = row
            self._touch(barcode, now)
            return CacheHit(
                barcode=barcode, product=_product(product, barcode),
                stale=now - fetched_at >= self.product_ttl_s, fetched_at=fetched_at,
                updated_at=updated_at, credits=credits,
                _ref=None if file is None else _ImageRef(self.directory / file, size, crc),
            )
        missed_at = held_miss if miss is None else max(miss[0], held_miss or 0.0)
        if missed_at is not None and now - missed_at < self.miss_ttl_s:
            return CachedMiss(barcode, missed_at)
        return None

    def fetched_at(self, barcode: str) -> float | None:
        """When `barcode` was last fetched into the cache (None if absent); no LRU touch."""
        with self._lock:
            held = self._held.get(barcode)
        if held is not None:
            return held.fetched_at
        row = self._db.read(
            lambda c: c.execute(
                "SELECT fetched_at FROM products WHERE barcode = ? "
                "UNION ALL SELECT missed_at FROM misses WHERE barcode = ?",
                (barcode, barcode),
            ).fetchone()
        )
        return None if row is None else float(row[0])

    def get_display_image(self, barcode: str, key: str) -> bytes | None:
        """Display-ready bytes stored by `put_display_image`, or None."""
        check_barcode(barcode)
        check_image_key(key)
        with self._lock:
            held = self._held.get(barcode)
        if held is not None:
            return held.images.get(key)
        row = self._db.read(
            lambda c: c.execute(
                "SELECT file, size, crc FROM images WHERE barcode = ? AND key = ?", (barcode, key)
            ).fetchone()
        )
        if row is None:
            return None
        self._touch(barcode, self._clock())
        return read_verified(self.directory / row[0], row[1], row[2])

    def stats(self) -> CacheStats:
        products, size, misses = self._db.read(
            lambda c: c.execute(
                "SELECT products, bytes, (SELECT COUNT(*) FROM misses) FROM totals"
            ).fetchone()
        )
        with self._lock:
            unsaved = len(self._held)
        return CacheStats(
            products=products, bytes=size, max_bytes=self.max_bytes, misses=misses,
            unsaved=unsaved, write_failure=self._db.failing,
        )

    @property
    def access_flush_due(self) -> bool:
        with self._lock:
            return len(self._pending_access) >= self._access_flush_threshold

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
            pending = self._take_pending_access()
            _flush_access(c, pending)
            existing = {
                r[0]: _ImageRef(self.directory / r[1], r[2], r[3])
                for r in c.execute(
                    "SELECT key, file, size, crc FROM images WHERE barcode = ?", (barcode,)
                )
            }
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
            new_refs = {key: self._write_file(barcode, key, data, written)
                        for key, data in extra.items()}
            if written:
                fsync_dir(self.directory)
            c.execute(
                "INSERT INTO products (barcode, product, updated_at, fetched_at, credits, "
                "last_access, bytes) VALUES (?, ?, ?, ?, ?, ?, 0) ON CONFLICT (barcode) DO UPDATE "
                "SET product = excluded.product, updated_at = excluded.updated_at, "
                "fetched_at = excluded.fetched_at, credits = excluded.credits, "
                "last_access = excluded.last_access",
                (barcode, text, product.updated_at, now, credits, now),
            )
            dropped = [ref.path for key, ref in existing.items() if key not in keep]
            c.executemany(
                "DELETE FROM images WHERE barcode = ? AND key = ?",
                [(barcode, key) for key in existing if key not in keep],
            )
            c.executemany(
                "INSERT INTO images (barcode, key, file, size, crc) VALUES (?, ?, ?, ?, ?)",
                [(barcode, key, ref.path.name, ref.size, ref.crc) for key, ref in new_refs.items()],
            )
            _update_bytes(c, barcode)
            c.execute("DELETE FROM misses WHERE barcode = ?", (barcode,))
            return dropped + self._evict(c, keep_barcode=barcode)

        try:
            doomed = self._db.write(txn)
        except (StoreWriteError, OSError) as exc:
            remove_all(written)
            images = dict(display_images or {})
            if image is not None:
                images[ORIGINAL] = image
            self._hold(barcode, _Held(product, now, credits, images))
            raise self._write_error(f"product {barcode} could not be cached", exc) from exc
        with self._lock:
            self._held.pop(barcode, None)
            self._held_misses.pop(barcode, None)
        remove_all(doomed)

    def put_display_image(self, barcode: str, key: str, data: bytes) -> bool:
        """Store display-ready bytes for a cached product; False if it is not cached."""
        check_barcode(barcode)
        check_image_key(key)
        if key == ORIGINAL:
            raise ValueError(f"{ORIGINAL!r} is the original image; use put()")
        with self._lock:
            held = self._held.get(barcode)
            if held is not None:
                held.images[key] = data
                return True
        written: list[Path] = []

        def txn(c: sqlite3.Connection) -> tuple[bool, list[Path]]:
            if c.execute("SELECT 1 FROM products WHERE barcode = ?", (barcode,)).fetchone() is None:
                return False, []
            old = c.execute(
                "SELECT file FROM images WHERE barcode = ? AND key = ?", (barcode, key)
            ).fetchone()
            ref = self._write_file(barcode, key, data, written)
            fsync_dir(self.directory)
            c.execute(
                "INSERT OR REPLACE INTO images (barcode, key, file, size, crc) "
                "VALUES (?, ?, ?, ?, ?)",
                (barcode, key, ref.path.name, ref.size, ref.crc),
            )
            _update_bytes(c, barcode)
            return True, [] if old is None else [self.directory / old[0]]

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

        def txn(c: sqlite3.Connection) -> list[Path]:
            files = [self.directory / r[0] for r in c.execute(
                "SELECT file FROM images WHERE barcode = ?", (barcode,))]
            c.execute("DELETE FROM images WHERE barcode = ?", (barcode,))
            c.execute("DELETE FROM products WHERE barcode = ?", (barcode,))
            c.execute("INSERT OR REPLACE INTO misses (barcode, missed_at) VALUES (?, ?)",
                      (barcode, now))
            c.execute("DELETE FROM misses WHERE missed_at < ?", (now - self.miss_ttl_s,))
            return files

        try:
            doomed = self._db.write(txn)
        except StoreWriteError as exc:
            with self._lock:
                self._held.pop(barcode, None)
                self._held_misses[barcode] = now
            raise self._write_error(f"miss for {barcode} could not be cached", exc) from exc
        with self._lock:
            self._held.pop(barcode, None)
            self._held_misses.pop(barcode, None)
        remove_all(doomed)

    def flush_access_times(self) -> int:
        """Write batched LRU access times; how many. Writes nothing when none are pending."""
        pending = self._take_pending_access()
        if not pending:
            return 0
        try:
            self._db.write(lambda c: _flush_access(c, pending))
        except StoreWriteError:
            # Not worth holding on to: LRU order is a hint, not data.
            logger.debug("dropped %d access times: disk refused the write", len(pending))
            return 0
        return len(pending)

    def sweep(self) -> int:
        """Remove temp files and files no row names (left by a crash); how many.

        Run once at start-up; files younger than a few minutes are left alone in case
        another process (`kiosk lookup`) is in the middle of a put.
        """
        try:
            names = os.listdir(self.directory)
        except FileNotFoundError:
            return 0
        referenced = set(self._db.read(
            lambda c: [r[0] for r in c.execute("SELECT file FROM images")]))
        cutoff = time.time() - _ORPHAN_GRACE_S
        doomed = []
        for name in names:
            if name in referenced:
                continue
            path = self.directory / name
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    doomed.append(path)
            except OSError:
                continue
        removed = remove_all(doomed)
        if removed:
            logger.info("removed %d cache files left over by an interrupted write", removed)
        return removed

    # --- internals ---------------------------------------------------------------------

    def _touch(self, barcode: str, now: float) -> None:
        with self._lock:
            self._pending_access[barcode] = now

    def _take_pending_access(self) -> dict[str, float]:
        with self._lock:
            pending, self._pending_access = self._pending_access, {}
        return pending

    def _write_file(self, barcode: str, key: str, data: bytes, written: list[Path]) -> _ImageRef:
        path = self.directory / f"{barcode}.{key}.{secrets.token_hex(4)}"
        write_atomic(path, data, sync_dir=False)
        written.append(path)
        return _ImageRef(path, len(data), checksum(data))

    def _evict(self, c: sqlite3.Connection, *, keep_barcode: str) -> list[Path]:
        (total,) = c.execute("SELECT bytes FROM totals").fetchone()
        if total <= self.max_bytes:
            return []
        target = self.max_bytes * 0.9
        victims: list[str] = []
        for barcode, size in c.execute(
            "SELECT barcode, bytes FROM products WHERE barcode != ? ORDER BY last_access LIMIT ?",
            (keep_barcode, self.evict_batch),
        ).fetchall():
            if total <= target:
                break
            victims.append(barcode)
            total -= size
        files: list[Path] = []
        for barcode in victims:
            files += [self.directory / r[0] for r in c.execute(
                "SELECT file FROM images WHERE barcode = ?", (barcode,))]
            c.execute("DELETE FROM images WHERE barcode = ?", (barcode,))
            c.execute("DELETE FROM products WHERE barcode = ?", (barcode,))
        if victims:
            logger.debug("evicted %d least recently used products", len(victims))
        return files

    def _hold(self, barcode: str, held: _Held) -> None:
        with self._lock:
            self._held[barcode] = held
            self._held.move_to_end(barcode)
            while len(self._held) > self._held_entries:
                self._held.popitem(last=False)

    def _write_error(self, what: str, exc: BaseException) -> CacheWriteError:
        if isinstance(exc, StoreWriteError):
            kind = exc.kind
        else:
            found = classify(exc)
            kind = found if found in ("full", "readonly") else "io"
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


def _update_bytes(c: sqlite3.Connection, barcode: str) -> None:
    c.execute(
        "UPDATE products SET bytes = length(CAST(product AS BLOB)) + "
        "COALESCE((SELECT SUM(size) FROM images WHERE images.barcode = products.barcode), 0) "
        "WHERE barcode = ?",
        (barcode,),
    )


def _flush_access(c: sqlite3.Connection, pending: Mapping[str, float]) -> None:
    if pending:
        c.executemany(
            "UPDATE products SET last_access = max(last_access, ?) WHERE barcode = ?",
            [(t, b) for b, t in pending.items()],
        )
