"""Least-recently-used order of the cache, kept without wearing the SD card.

Reading a card writes nothing: access times are kept in memory (`AccessTimes`) and
written in batches (with the next put, by `Cache.flush_access_times`, or on close), so
an idle kiosk writes nothing at all, and LRU order is a hint worth losing rather than
data. Eviction (`evict`) runs inside a put, least recently used first, down to 90 % of
the bound and at most `batch` products per call, so no single scan pays for a large
clean-up.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Mapping

from kiosk.store._cache_index import forget

__all__ = ["AccessTimes", "evict", "flush_access"]

logger = logging.getLogger(__name__)


class AccessTimes:
    """Access times not yet written, by barcode (thread-safe)."""

    def __init__(self, flush_threshold: int) -> None:
        self._threshold = flush_threshold
        self._lock = threading.Lock()
        self._pending: dict[str, float] = {}

    def touch(self, barcode: str, now: float) -> None:
        with self._lock:
            self._pending[barcode] = now

    def take(self) -> dict[str, float]:
        """The pending times, which are then no longer pending."""
        with self._lock:
            pending, self._pending = self._pending, {}
        return pending

    @property
    def flush_due(self) -> bool:
        with self._lock:
            return len(self._pending) >= self._threshold


def flush_access(c: sqlite3.Connection, pending: Mapping[str, float]) -> None:
    if pending:
        c.executemany(
            "UPDATE products SET last_access = max(last_access, ?) WHERE barcode = ?",
            [(t, b) for b, t in pending.items()],
        )


def evict(c: sqlite3.Connection, max_bytes: int, batch: int, *, keep_barcode: str) -> list[str]:
    """Drop least recently used products while over `max_bytes`; their file names."""
    (total,) = c.execute("SELECT bytes FROM totals").fetchone()
    if total <= max_bytes:
        return []
    target = max_bytes * 0.9
    victims: list[str] = []
    for barcode, size in c.execute(
        "SELECT barcode, bytes FROM products WHERE barcode != ? ORDER BY last_access LIMIT ?",
        (keep_barcode, batch),
    ).fetchall():
        if total <= target:
            break
        victims.append(barcode)
        total -= size
    files: list[str] = []
    for barcode in victims:
        files += forget(c, barcode)
    if victims:
        logger.debug("evicted %d least recently used products", len(victims))
    return files
