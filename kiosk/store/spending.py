"""What lookups cost, kept beside the queue so the spending guard survives a restart.

One small row per paid lookup (a few bytes; rows older than two days are deleted on the
way), in the queue's database: the file that holds what nobody can redo. Beside the rows,
one running total of every credit this kiosk has spent, written in the same transaction:
Prometheus' `kiosk_credits_spent_total` starts from it, so a restart is not a counter
reset (the rows cannot serve: they are pruned, and a falling sum reads as one).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

from kiosk.store.db import Database

__all__ = ["SPENDING_MIGRATION", "SPENDING_TOTAL_MIGRATION", "SpendLog", "record_spend"]

SPENDING_MIGRATION = (
    "CREATE TABLE spending (at REAL NOT NULL, credits REAL NOT NULL)",
    "CREATE INDEX spending_by_time ON spending (at)",
)
SPENDING_TOTAL_MIGRATION = (
    "CREATE TABLE spending_total (one INTEGER PRIMARY KEY CHECK (one = 1), "
    "credits REAL NOT NULL)",
    # A kiosk upgraded in place starts its total from the rows it still has.
    "INSERT INTO spending_total (one, credits) SELECT 1, COALESCE(SUM(credits), 0) "
    "FROM spending",
)
_KEEP_S = 2 * 86400.0


def record_spend(c: sqlite3.Connection, at: float, credits: float) -> None:
    """The spend row and the running total, inside the caller's transaction (a paid
    answer writes them in its own, `kiosk.store.paid`)."""
    c.execute("INSERT INTO spending (at, credits) VALUES (?, ?)", (at, credits))
    c.execute("DELETE FROM spending WHERE at < ?", (at - _KEEP_S,))
    c.execute("UPDATE spending_total SET credits = credits + ?", (credits,))


class SpendLog:
    """The `kiosk.api.spending.Ledger` of the daemon."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    def now(self) -> float:
        """The store's wall time, which the rows are stamped on."""
        return self._clock()

    def record(self, at: float, credits: float) -> None:
        self._db.write(lambda c: record_spend(c, at, credits))

    def total(self) -> float:
        """Every credit recorded here since the queue file was made."""
        return self._db.read(lambda c: float(
            c.execute("SELECT COALESCE(SUM(credits), 0) FROM spending_total").fetchone()[0]))

    def since(self, at: float) -> list[tuple[float, float]]:
        return self._db.read(lambda c: [(float(a), float(b)) for a, b in c.execute(
            "SELECT at, credits FROM spending WHERE at >= ? ORDER BY at", (at,))])
