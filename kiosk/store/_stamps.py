"""The store's stamps and its clock: where the clock starts, and moving them together.

A Pi boots at 1970 or at a stale fake-hwclock time; the queue's and the cache's stamps
are compared with each other later (a scan's answer fetched after it was queued, a
product's or a miss's age), so the store's clock must not start behind them
(`newest_stamp`: the stamps themselves are the persisted high-water mark, nothing more
is written for it). When NTP then steps the wall clock forward, the store's clock
follows only together with every stamp (`shift_stamps`), so the step ages nothing:
a product cached a minute before it is still a minute old, and the next boot, on the
right clock, finds the stamps in its frame.
"""

from __future__ import annotations

import functools
import logging
import sqlite3

from kiosk.store.db import Database
from kiosk.store.errors import StoreError

__all__ = ["newest_stamp", "shift_stamps"]

logger = logging.getLogger(__name__)

_QUEUE = ("SELECT MAX(enqueued_at) FROM queue", "SELECT MAX(last_scanned_at) FROM queue",
          "SELECT MAX(at) FROM spending", "SELECT MAX(paid_at) FROM paid")
# A product's last access (the LRU's, written in batches) counts: a kiosk that only
# shows cached cards still moves its floor on.
_CACHE = ("SELECT MAX(fetched_at) FROM products", "SELECT MAX(last_access) FROM products",
          "SELECT MAX(missed_at) FROM misses")
_QUEUE_COLUMNS = ("first_scanned_at", "last_scanned_at", "enqueued_at", "last_attempt_at",
                  "set_aside_at")
_CACHE_COLUMNS = (("products", "fetched_at"), ("products", "last_access"),
                  ("misses", "missed_at"))


def newest_stamp(queue_db: Database, cache_db: Database) -> float | None:
    """The newest time in either file's stamps, or None (empty, or unreadable: then the
    wall clock is all there is, and the file's own trouble is logged where it is met)."""
    found: list[float] = []
    for db, queries in ((queue_db, _QUEUE), (cache_db, _CACHE)):
        try:
            found += db.read(functools.partial(_max, queries=queries))
        except StoreError as exc:
            logger.debug("no stamps read: %s", exc)
    return max(found, default=None)


def _max(c: sqlite3.Connection, queries: tuple[str, ...]) -> list[float]:
    values = []
    for query in queries:
        try:
            (value,) = c.execute(query).fetchone()
        except sqlite3.OperationalError:  # a table a readonly, older file does not have
            continue
        if isinstance(value, int | float):
            values.append(float(value))
    return values


def shift_stamps(queue_db: Database, cache_db: Database, step: float, upto: float) -> None:
    """Move every stamp up to `upto` forward by `step`: the queue's scan times, the spend
    rows and paid answers, the cache's fetch, access and miss times. One transaction per
    file, both before the clock moves."""
    def queue(c: sqlite3.Connection) -> None:
        for column in _QUEUE_COLUMNS:
            c.execute(f"UPDATE queue SET {column} = {column} + ? WHERE {column} <= ?",
                      (step, upto))
        c.execute("UPDATE spending SET at = at + ? WHERE at <= ?", (step, upto))
        c.execute("UPDATE paid SET paid_at = paid_at + ?1, url_expires_at = url_expires_at + ?1, "
                  "cached_at = cached_at + ?1, photo_done_at = photo_done_at + ?1 "
                  "WHERE paid_at <= ?2", (step, upto))

    def cache(c: sqlite3.Connection) -> None:
        for table, column in _CACHE_COLUMNS:
            c.execute(f"UPDATE {table} SET {column} = {column} + ? WHERE {column} <= ?",
                      (step, upto))

    queue_db.write(queue)
    cache_db.write(cache)
