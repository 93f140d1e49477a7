"""The offline queue: scans that could not be looked up, kept until they can be.

Durable: `enqueue` returns only after its transaction is committed with
`synchronous=FULL`, so a scan the screen calls "saved" survives a power cut. Ordered:
items leave in the order they were first queued. Deduplicated: scanning the same
product ten times in a back room costs one lookup; the row keeps the count and the
readers it came from.

When the disk refuses the write, the scan is held in memory (`saved=False`), the
caller gets `ScanNotSaved` so the screen can say so, and the held scans are written
out with the next write that succeeds (`flush_held`, or any later `enqueue`).

Set aside: an item whose lookup failed for reasons of its own (not the network's)
`set_aside`s after a few attempts. It stays in the file, listed by `kiosk status`, but
`peek` and `items` pass over it so the rest of the queue drains; scanning it again
puts it back in line.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace

from kiosk.clock import SteadyClock
from kiosk.store.db import Database
from kiosk.store.errors import ScanNotSaved, StoreWriteError, WriteFailure
from kiosk.store.keys import check_barcode
from kiosk.store.paid import PAID_MIGRATION
from kiosk.store.spending import SPENDING_MIGRATION, SPENDING_TOTAL_MIGRATION

__all__ = ["QUEUE_MIGRATIONS", "Queue", "QueueStats", "QueuedItem"]

logger = logging.getLogger(__name__)

# `seq` without AUTOINCREMENT: a new rowid is always above every row still present, which
# is all FIFO needs, and it saves writing the sqlite_sequence page on every scan.
QUEUE_MIGRATIONS = (
    ("""
    CREATE TABLE queue (
        seq INTEGER PRIMARY KEY,
        barcode TEXT NOT NULL UNIQUE CHECK (typeof(barcode) = 'text'),
        sources TEXT NOT NULL,
        reason TEXT NOT NULL,
        first_scanned_at REAL NOT NULL,
        last_scanned_at REAL NOT NULL,
        enqueued_at REAL NOT NULL,
        count INTEGER NOT NULL DEFAULT 1,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        last_attempt_at REAL
    )
    """,),
    (
        # Failures of the item's own (a paid answer that could not be used, a bug), as
        # opposed to the network's: these are capped. Then it is set aside.
        "ALTER TABLE queue ADD COLUMN failures INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE queue ADD COLUMN set_aside_at REAL",
        "CREATE INDEX queue_waiting ON queue (set_aside_at, seq)",
    ),
    SPENDING_MIGRATION,
    SPENDING_TOTAL_MIGRATION,
    PAID_MIGRATION,
)

_COLUMNS = (
    "barcode, sources, reason, first_scanned_at, last_scanned_at, enqueued_at, count, "
    "attempts, last_error, last_attempt_at"
)

@dataclass(frozen=True)
class QueuedItem:
    """One queued barcode. `saved` is False while it is held in memory only."""

    barcode: str
    sources: tuple[str, ...]
    reason: str
    first_scanned_at: float
    last_scanned_at: float
    enqueued_at: float
    count: int = 1
    attempts: int = 0
    last_error: str | None = None
    last_attempt_at: float | None = None
    saved: bool = True


@dataclass(frozen=True)
class QueueStats:
    """What `kiosk status` and the staff screen show about the queue. `depth` counts
    the scans waiting; `set_aside` those passed over after repeated failures."""

    depth: int
    oldest_age_s: float | None
    last_error: str | None
    unsaved: int
    write_failure: WriteFailure | None
    set_aside: int = 0


def _row_to_item(row: tuple[object, ...]) -> QueuedItem:
    (barcode, sources, reason, first, last, enqueued, count, attempts, error, attempt_at) = row
    return QueuedItem(
        barcode=str(barcode),
        sources=tuple(json.loads(str(sources))),
        reason=str(reason),
        first_scanned_at=float(first),  # type: ignore[arg-type]
        last_scanned_at=float(last),  # type: ignore[arg-type]
        enqueued_at=float(enqueued),  # type: ignore[arg-type]
        count=int(count),  # type: ignore[call-overload]
        attempts=int(attempts),  # type: ignore[call-overload]
        last_error=None if error is None else str(error),
        last_attempt_at=None if attempt_at is None else float(attempt_at),  # type: ignore[arg-type]
    )


def _merge_sources(old: tuple[str, ...], new: tuple[str, ...]) -> tuple[str, ...]:
    return old + tuple(s for s in new if s not in old)


class Queue:
    """The queue table of `db` plus the in-memory hold for scans the disk refused."""

    def __init__(self, db: Database, *, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock
        self._held: OrderedDict[str, QueuedItem] = OrderedDict()
        self._held_lock = threading.Lock()

    # --- writing -----------------------------------------------------------------

    def enqueue(
        self, barcode: str, source: str, reason: str, scanned_at: float | None = None
    ) -> QueuedItem:
        """Queue `barcode`; returns after the commit is durable.

        Raises `ScanNotSaved` (the scan is then held in memory) when the disk refuses.
        """
        check_barcode(barcode)
        now = self._clock()
        if scanned_at is not None and isinstance(self._clock, SteadyClock):
            scanned_at = min(now, self._clock.from_wall(scanned_at))  # the scan's wall time
        new = QueuedItem(
            barcode=barcode, sources=(source,), reason=reason,
            first_scanned_at=now if scanned_at is None else scanned_at,
            last_scanned_at=now if scanned_at is None else scanned_at,
            enqueued_at=now,
        )
        held = self._held_snapshot()

        def txn(conn: sqlite3.Connection) -> QueuedItem:
            for item in held:
                _upsert(conn, item)
            return _upsert(conn, new)

        try:
            item = self._db.write(txn)
        except StoreWriteError as exc:
            self._hold(new)
            raise ScanNotSaved(
                f"scan {barcode} could not be saved ({exc}); it is kept in memory until "
                "the disk takes writes again",
                kind=exc.kind, barcode=barcode,
            ) from exc
        self._forget_held(held)
        return item

    def flush_held(self) -> int:
        """Write out scans held in memory; how many were written. No write if none."""
        held = self._held_snapshot()
        if not held:
            return 0

        def txn(conn: sqlite3.Connection) -> None:
            for item in held:
                _upsert(conn, item)

        self._db.write(txn)
        self._forget_held(held)
        return len(held)

    def complete(self, barcode: str) -> bool:
        """Remove `barcode` (its result is already cached). False if it was not queued."""
        with self._held_lock:
            was_held = self._held.pop(barcode, None) is not None
        deleted = self._db.write(
            lambda c: c.execute("DELETE FROM queue WHERE barcode = ?", (barcode,)).rowcount
        )
        return was_held or deleted > 0

    def forget_held(self, barcode: str) -> None:
        """Drop a scan held in memory whose answer was recorded (`kiosk.store.paid`)."""
        with self._held_lock:
            self._held.pop(barcode, None)

    def record_failure(self, barcode: str, reason: str, *, own: bool = False) -> int:
        """Note a failed attempt on the item (attempts, last_error) for the staff screen.

        `own`: the failure is the item's own (not the network's); returns how many of
        those it has had.
        """
        now = self._clock()
        with self._held_lock:
            if barcode in self._held:
                old = self._held[barcode]
                self._held[barcode] = replace(
                    old, attempts=old.attempts + 1, last_error=reason, last_attempt_at=now
                )
                return old.attempts + 1 if own else 0

        def txn(c: sqlite3.Connection) -> int:
            c.execute(
                "UPDATE queue SET attempts = attempts + 1, last_error = ?, last_attempt_at = ?, "
                "failures = failures + ? WHERE barcode = ?",
                (reason, now, 1 if own else 0, barcode),
            )
            row = c.execute("SELECT failures FROM queue WHERE barcode = ?", (barcode,)).fetchone()
            return int(row[0]) if row else 0

        return self._db.write(txn)

    def set_aside(self, barcode: str, reason: str) -> None:
        """Pass over `barcode` from now on (until it is scanned again); kept for staff."""
        now = self._clock()
        with self._held_lock:
            self._held.pop(barcode, None)
        self._db.write(lambda c: c.execute(
            "UPDATE queue SET set_aside_at = ?, last_error = ? WHERE barcode = ?",
            (now, reason, barcode)))

    def set_aside_items(self) -> list[QueuedItem]:
        """The items set aside, oldest first."""
        return self._db.read(lambda c: [_row_to_item(r) for r in c.execute(
            f"SELECT {_COLUMNS} FROM queue WHERE set_aside_at IS NOT NULL ORDER BY seq")])

    # --- reading -----------------------------------------------------------------

    def peek(self) -> QueuedItem | None:
        """The oldest item, or None when the queue is empty."""
        items = self.items(limit=1)
        return items[0] if items else None

    def items(self, limit: int | None = None) -> list[QueuedItem]:
        """Items in drain order: saved ones first (oldest first), then held ones."""
        sql = f"SELECT {_COLUMNS} FROM queue WHERE set_aside_at IS NULL ORDER BY seq"
        params: tuple[int, ...] = ()
        if limit is not None:
            sql += " LIMIT ?"
            params = (limit,)
        saved = self._db.read(lambda c: [_row_to_item(r) for r in c.execute(sql, params)])
        seen = {i.barcode for i in saved}
        held = [i for i in self._held_snapshot() if i.barcode not in seen]
        out = saved + held
        return out if limit is None else out[:limit]

    @property
    def unsaved(self) -> int:
        """Scans held in memory only."""
        with self._held_lock:
            return len(self._held)

    def __len__(self) -> int:
        return self.stats().depth

    def stats(self) -> QueueStats:
        def query(c: sqlite3.Connection
                  ) -> tuple[int, float | None, str | None, set[str], int]:
            count, oldest = c.execute(
                "SELECT COUNT(*), MIN(first_scanned_at) FROM queue "
                "WHERE set_aside_at IS NULL").fetchone()
            (aside,) = c.execute(
                "SELECT COUNT(*) FROM queue WHERE set_aside_at IS NOT NULL").fetchone()
            row = c.execute(
                "SELECT last_error FROM queue WHERE last_error IS NOT NULL "
                "AND set_aside_at IS NULL ORDER BY last_attempt_at DESC LIMIT 1"
            ).fetchone()
            held = [i.barcode for i in self._held_snapshot()]
            marks = ",".join("?" * len(held))
            present = {r[0] for r in c.execute(
                f"SELECT barcode FROM queue WHERE barcode IN ({marks})", held)} if held else set()
            return int(count), oldest, row[0] if row else None, present, int(aside)

        count, oldest, last_error, present, aside = self._db.read(query)
        held = [i for i in self._held_snapshot() if i.barcode not in present]
        firsts = [i.first_scanned_at for i in held] + ([oldest] if oldest is not None else [])
        if held and last_error is None:
            last_error = next((i.last_error for i in held if i.last_error), None)
        return QueueStats(
            depth=count + len(held),
            oldest_age_s=max(0.0, self._clock() - min(firsts)) if firsts else None,
            last_error=last_error,
            unsaved=len(held),
            write_failure=self._db.failing,
            set_aside=aside,
        )

    # --- the in-memory hold ------------------------------------------------------------

    def _hold(self, new: QueuedItem) -> None:
        with self._held_lock:
            old = self._held.get(new.barcode)
            if old is None:
                self._held[new.barcode] = replace(new, saved=False)
            else:
                self._held[new.barcode] = replace(
                    old, count=old.count + new.count,
                    sources=_merge_sources(old.sources, new.sources),
                    last_scanned_at=max(old.last_scanned_at, new.last_scanned_at),
                )
            total = len(self._held)
        logger.warning(
            "scan %s held in memory only (%d unsaved); it is lost if the kiosk stops "
            "before the disk takes writes again", new.barcode, total,
        )

    def _held_snapshot(self) -> list[QueuedItem]:
        with self._held_lock:
            return list(self._held.values())

    def _forget_held(self, written: list[QueuedItem]) -> None:
        if not written:
            return
        with self._held_lock:
            for item in written:
                if self._held.get(item.barcode) is item:
                    del self._held[item.barcode]
        logger.warning("wrote %d scan(s) that were held in memory to the queue", len(written))


def _upsert(conn: sqlite3.Connection, item: QueuedItem) -> QueuedItem:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM queue WHERE barcode = ?", (item.barcode,)).fetchone()
    if row is None:
        conn.execute(
            "INSERT INTO queue (barcode, sources, reason, first_scanned_at, last_scanned_at, "
            "enqueued_at, count, attempts, last_error, last_attempt_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (item.barcode, json.dumps(list(item.sources)), item.reason, item.first_scanned_at,
             item.last_scanned_at, item.enqueued_at, item.count, item.attempts, item.last_error,
             item.last_attempt_at),
        )
        return replace(item, saved=True)
    old = _row_to_item(row)
    merged = replace(
        old, count=old.count + item.count, sources=_merge_sources(old.sources, item.sources),
        last_scanned_at=max(old.last_scanned_at, item.last_scanned_at),
    )
    # Scanned again: a person asks for it anew, so a set-aside item is back in line.
    conn.execute(
        "UPDATE queue SET count = ?, sources = ?, last_scanned_at = ?, set_aside_at = NULL, "
        "failures = 0 WHERE barcode = ?",
        (merged.count, json.dumps(list(merged.sources)), merged.last_scanned_at, item.barcode),
    )
    return merged
