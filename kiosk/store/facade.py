"""`Store`: the queue and the cache, opened once by the daemon.

Two files, because they have different owners: the queue (`state_dir/kiosk.db`)
holds scans nobody can redo, the cache (`cache_dir/cache.db` + `cache_dir/images/`)
holds answers that can be bought again and may be wiped like any /var/cache.

A paid answer is written first, in ONE commit of the queue's file: the answer, its
spend and the queued scan's completion (`kiosk.store.paid`); the cache is filled from
it afterwards, and at start for any answer a crash caught in between, so a crash never
buys a product twice. A "not found" (free) is cached first, then dequeued
(`resolve_queued`); a crash in between leaves the scan queued with its answer cached,
and the drainer sees `cache.fetched_at` is newer than the scan and dequeues it without
a second lookup.

The store's clock is the wall clock made steady (`kiosk.clock.SteadyClock`): it starts
no earlier than the newest stamp already in either file and runs on the monotonic
clock. A Pi that boots at 1970 or at a stale fake-hwclock time, or whose clock NTP
steps back, therefore never stamps an answer as older than the scan it answers (which
would buy it again), nor reopens a product's or a miss's lifetime; a step forward is
taken up by `follow_clock` (the drainer's housekeeping) together with every stamp, so
it expires nothing and re-buys nothing.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from kiosk.clock import STEP_S, Clock, SteadyClock, describe_span
from kiosk.config import StorageConfig
from kiosk.product import Product
from kiosk.store._cache_files import relink_images
from kiosk.store._stamps import newest_stamp, shift_stamps
from kiosk.store.cache import CACHE_MIGRATIONS, Cache, CacheStats
from kiosk.store.db import Database
from kiosk.store.errors import StoreWriteError
from kiosk.store.paid import PaidAnswers
from kiosk.store.queue import QUEUE_MIGRATIONS, Queue, QueueStats
from kiosk.store.spending import SpendLog

__all__ = ["Store", "StoreStats"]

logger = logging.getLogger(__name__)

QUEUE_FILE = "kiosk.db"
CACHE_FILE = "cache.db"
IMAGES_DIR = "images"


@dataclass(frozen=True)
class StoreStats:
    queue: QueueStats
    cache: CacheStats


class Store:
    """Open with `Store.open` or `Store.from_config`; close with `close()` (or `with`)."""

    def __init__(self, queue_db: Database, cache_db: Database, queue: Queue, cache: Cache,
                 clock: Clock | None = None) -> None:
        self._clock = clock
        self._queue_db = queue_db
        self._cache_db = cache_db
        self.queue = queue
        self.cache = cache
        self.spending = SpendLog(queue_db, clock or time.time)
        self.paid = PaidAnswers(queue_db, clock or time.time)

    @classmethod
    def open(
        cls,
        state_dir: Path | None,
        cache_dir: Path,
        *,
        product_ttl_s: float = 7 * 86400.0,
        miss_ttl_s: float = 3600.0,
        max_bytes: int = 200 * 1024 * 1024,
        clock: Clock | None = None,
        monotonic: Clock | None = None,
        readonly: bool = False,
    ) -> Store:
        """Open (creating if needed) the queue in `state_dir` and the cache in `cache_dir`.

        `state_dir=None` keeps both databases in memory (tests; image files still go to
        `cache_dir`). `readonly=True` is for `kiosk status`: nothing is created, repaired
        or written, and a missing file reads as empty. `clock`: by default the wall clock
        made steady from the newest stamp in the files; a test's clock is taken as it
        is, unless `monotonic` is given too, which makes it steady the same way.
        """
        if state_dir is None:
            queue_db = Database(None, migrations=QUEUE_MIGRATIONS, what="queued scans")
            cache_db = Database(None, migrations=CACHE_MIGRATIONS, what="cached products")
        else:
            queue_db = Database(
                state_dir / QUEUE_FILE, migrations=QUEUE_MIGRATIONS, readonly=readonly,
                page_size=1024,  # a scan rewrites ~2 pages: small pages, fewer bytes to flash
                what="queued scans that could not be read from it are lost",
            )
            try:
                cache_db = Database(
                    cache_dir / CACHE_FILE, migrations=CACHE_MIGRATIONS, readonly=readonly,
                    repair=functools.partial(relink_images, directory=cache_dir / IMAGES_DIR),
                    what="cached products that could not be read from it will be fetched "
                         "again (costs credits)",
                )
            except BaseException:
                queue_db.close()
                raise
        if clock is None or monotonic is not None:
            clock = SteadyClock(clock or time.time, monotonic or time.monotonic,
                                floor=newest_stamp(queue_db, cache_db))
        cache = Cache(
            cache_db, cache_dir / IMAGES_DIR, product_ttl_s=product_ttl_s,
            miss_ttl_s=miss_ttl_s, max_bytes=max_bytes, clock=clock,
        )
        store = cls(queue_db, cache_db, Queue(queue_db, clock=clock), cache, clock)
        if not readonly and cache_db.failing is None:
            cache.sweep()
        return store

    @classmethod
    def from_config(
        cls, cfg: StorageConfig, *, clock: Clock | None = None, readonly: bool = False
    ) -> Store:
        return cls.open(
            cfg.state_dir, cfg.cache_dir,
            product_ttl_s=cfg.product_ttl_days * 86400.0, miss_ttl_s=cfg.miss_ttl_s,
            max_bytes=int(cfg.cache_max_mb * 1024 * 1024), clock=clock, readonly=readonly,
        )

    def resolve_queued(
        self,
        barcode: str,
        product: Product | None,
        image: bytes | None = None,
        credits: float = 0.0,
        *,
        display_images: Mapping[str, bytes] | None = None,
    ) -> None:
        """Cache the answer for a queued scan (None: the API does not know it), then dequeue.

        Raises `CacheWriteError` (the scan stays queued) or `StoreWriteError`.
        """
        if product is None:
            self.cache.put_miss(barcode)
        else:
            self.cache.put(barcode, product, image, credits, display_images=display_images)
        self.queue.complete(barcode)

    def housekeeping(self) -> None:
        """Cheap periodic chores; writes only when there is something to write.

        Writes out scans held in memory (if the disk takes them now) and batched cache
        access times. The drainer calls it every `housekeeping_s` and whenever the
        batched access times are due, between lookups.
        """
        # Still refused: the database logged when that started; retried next time.
        with contextlib.suppress(StoreWriteError):
            self.queue.flush_held()
        self.cache.flush_access_times()

    def follow_clock(self) -> float:
        """Take up a step forward of the wall clock (NTP after a boot on a wrong clock):
        every stamp moves by the step first, then the store's clock; the step, or 0.

        A step back is never followed: the store's clock runs on (`SteadyClock`). One
        process moves the stamps: the daemon's drainer, with its housekeeping (`kiosk
        lookup` and `kiosk status` never do, so nothing is moved twice)."""
        clock = self._clock
        if not isinstance(clock, SteadyClock):
            return 0.0
        step = clock.wall_ahead()
        if step < STEP_S:
            return 0.0
        upto = clock()
        try:
            shift_stamps(self._queue_db, self._cache_db, step, upto)
        except StoreWriteError as exc:  # tried again with the next housekeeping
            logger.warning("the clock was set %s forward; the stored times could not be "
                           "moved with it yet (%s)", describe_span(step), exc)
            return 0.0
        self.cache.shift_held(step, upto)
        clock.adopt(step)
        logger.warning("the clock was set %s forward; queued scans and cached products "
                       "keep their ages (their times moved with it)", describe_span(step))
        return step

    def stats(self) -> StoreStats:
        return StoreStats(queue=self.queue.stats(), cache=self.cache.stats())

    def integrity_check(self) -> dict[str, list[str]]:
        """`PRAGMA integrity_check` of both files (slow; for tests and tools)."""
        return {
            "queue": self._queue_db.integrity_check(),
            "cache": self._cache_db.integrity_check(),
        }

    def close(self) -> None:
        """Flush access times and close both files; held scans are logged as lost."""
        try:
            self.housekeeping()
            if self.queue.unsaved:
                logger.error(
                    "closing with %d scan(s) that could not be saved to disk: they are lost",
                    self.queue.unsaved,
                )
        finally:
            self._cache_db.close()
            self._queue_db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
