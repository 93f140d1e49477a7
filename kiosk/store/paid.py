"""Paid answers: what the API was paid for, on disk before anything else happens.

The API has no idempotency key, so the one window nobody can close is from the server's
debit to the kiosk's first fsync of the answer. This module makes that fsync the first
thing done with a paid answer: ONE transaction in the queue's database (the state file,
which also holds the spending log) with the product, its signed front URL and when that
expires, the `request_id`, the spend row and the queued scan's completion. One file, one
commit, one fsync: SQLite's commits across two files are not atomic in WAL mode, so the
cache (another file) is filled from here afterwards, and again at start for any answer a
power cut caught in between (free: nothing is bought).

The photo follows, and is what `photo_done` records: until then, a saved front URL that
is still valid is used (free), else `/products/{b}/image` (cheaper than a new lookup).
A product already paid for is never bought again for its photo.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.product import Product
from kiosk.store.db import Database
from kiosk.store.keys import check_barcode
from kiosk.store.spending import record_spend

__all__ = ["PAID_MIGRATION", "PaidAnswer", "PaidAnswers"]

PAID_MIGRATION = (
    """CREATE TABLE paid (
        barcode TEXT PRIMARY KEY CHECK (typeof(barcode) = 'text'),
        product TEXT NOT NULL,
        front_url TEXT,
        url_expires_at REAL,
        request_id TEXT,
        credits REAL NOT NULL,
        paid_at REAL NOT NULL,
        cached_at REAL,
        photo_done_at REAL
    )""",
)
_KEEP_S = 2 * 86400.0
"""Settled rows are kept this long (a cache wiped meanwhile is refilled for free)."""


@dataclass(frozen=True)
class PaidAnswer:
    """One paid product answer as it was received, before its photo."""

    barcode: str
    product: Product
    front_url: str | None
    url_expires_at: float | None  # Unix time; the URL is not tried after it
    request_id: str | None
    credits: float
    paid_at: float
    cached: bool = False
    photo_done: bool = False


class PaidAnswers:
    """The `paid` table of the queue's database."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    def record(self, answer: PaidAnswer) -> None:
        """The answer, its spend and the queued scan's completion: one commit, one fsync.

        Raises `StoreError` when the disk refuses (the caller still counts the spend).
        """
        check_barcode(answer.barcode)
        text = json.dumps(answer.product.to_record(), ensure_ascii=False, separators=(",", ":"))

        def txn(c: sqlite3.Connection) -> None:
            c.execute(
                "INSERT INTO paid (barcode, product, front_url, url_expires_at, request_id, "
                "credits, paid_at, cached_at, photo_done_at) VALUES (?, ?, ?, ?, ?, ?, ?, "
                "NULL, ?) ON CONFLICT (barcode) DO UPDATE SET product = excluded.product, "
                "front_url = excluded.front_url, url_expires_at = excluded.url_expires_at, "
                "request_id = excluded.request_id, credits = excluded.credits, "
                "paid_at = excluded.paid_at, cached_at = NULL, "
                "photo_done_at = excluded.photo_done_at",
                (answer.barcode, text, answer.front_url, answer.url_expires_at,
                 answer.request_id, answer.credits, answer.paid_at,
                 None if answer.front_url else answer.paid_at))
            record_spend(c, answer.paid_at, answer.credits)
            c.execute("DELETE FROM queue WHERE barcode = ?", (answer.barcode,))
            c.execute("DELETE FROM paid WHERE photo_done_at IS NOT NULL AND cached_at IS NOT "
                      "NULL AND paid_at < ?", (answer.paid_at - _KEEP_S,))

        self._db.write(txn)

    def mark(self, barcode: str, *, cached: bool = False, photo_done: bool = False) -> None:
        """Note that the answer is in the cache and/or its photo is settled (no fsync
        needed for correctness: at worst the free copy is made again after a cut)."""
        now = self._clock()

        def txn(c: sqlite3.Connection) -> None:
            if cached:
                c.execute("UPDATE paid SET cached_at = ? WHERE barcode = ?", (now, barcode))
            if photo_done:
                c.execute("UPDATE paid SET photo_done_at = ? WHERE barcode = ?", (now, barcode))

        self._db.write(txn)

    def get(self, barcode: str) -> PaidAnswer | None:
        rows = self._db.read(lambda c: c.execute(
            f"SELECT {_COLUMNS} FROM paid WHERE barcode = ?", (barcode,)).fetchall())
        return _answer(rows[0]) if rows else None

    def unsettled(self, limit: int = 100) -> list[PaidAnswer]:
        """Answers not yet in the cache or still without their photo, oldest first."""
        rows = self._db.read(lambda c: c.execute(
            f"SELECT {_COLUMNS} FROM paid WHERE cached_at IS NULL OR photo_done_at IS NULL "
            "ORDER BY paid_at LIMIT ?", (limit,)).fetchall())
        return [_answer(r) for r in rows]


_COLUMNS = ("barcode, product, front_url, url_expires_at, request_id, credits, paid_at, "
            "cached_at, photo_done_at")


def _answer(row: tuple[object, ...]) -> PaidAnswer:
    barcode, text, url, expires, rid, credits, paid_at, cached_at, photo_at = row
    return PaidAnswer(
        barcode=str(barcode),
        product=Product.from_api(json.loads(str(text)), barcode=str(barcode)),
        front_url=None if url is None else str(url),
        url_expires_at=None if expires is None else float(expires),  # type: ignore[arg-type]
        request_id=None if rid is None else str(rid),
        credits=float(credits),  # type: ignore[arg-type]
        paid_at=float(paid_at),  # type: ignore[arg-type]
        cached=cached_at is not None, photo_done=photo_at is not None)
