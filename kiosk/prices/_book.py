"""The prices in SQLite: a whole file imported in one transaction, looked up by barcode.

Its own database, `prices.db` in the state directory, not a table in the store's: the
prices are a copy of a file the store keeps elsewhere, replaced whole, 100,000 rows at a
time. Apart, that bulk write never grows the queue's WAL nor waits on its lock, the
store's salvage and migrations never have to know it, and a damaged prices.db is
simply set aside and filled again from the source (its record of what was imported
goes with it, so the next poll imports again).

An import is one transaction: the rows go into a new table, are checked (each row's
cells, then a second row for a barcode already seen), and only a file without a single
problem replaces the old table (DROP, RENAME, COMMIT). A refused file rolls back, and so
does a crash or a power cut at any point before the commit: the old prices stay. Under
WAL a lookup from another connection reads the old table until the commit, so scans go
on during an import. A lookup is a search of the barcode index and one read of the row
it names (B-trees of three levels at 100,000 rows, in the page cache after the first
scans), no network.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from kiosk.errors import StoreError
from kiosk.prices._entry import Limits, Normalize, PriceEntry, Problem
from kiosk.prices._read import Problems, format_of, read_entries

__all__ = ["ImportOutcome", "PriceBook", "Summary"]

logger = logging.getLogger(__name__)

_FIELDS = ("price", "promo_price", "promo_from", "promo_until", "unit_price", "unit",
           "age_limit", "recall", "name")
# A rowid table filled in file order (appended, its pages full) and its barcode index
# built after, sorted, in one pass: smaller and faster to write than a table keyed by
# barcode filled in random order. The UNIQUE index is also the duplicate check.
_TABLE = """CREATE TABLE {name} (
    barcode TEXT NOT NULL, line INTEGER NOT NULL, barcode_column INTEGER NOT NULL,
    price TEXT, promo_price TEXT, promo_from TEXT, promo_until TEXT, unit_price TEXT,
    unit TEXT, age_limit INTEGER, recall TEXT, name TEXT)"""
_INDEX = "CREATE UNIQUE INDEX {index} ON {name} (barcode)"
_META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
_SELECT = f"SELECT {', '.join(_FIELDS)} FROM prices WHERE barcode = ?"
_INSERT = (f"INSERT INTO prices_new (barcode, line, barcode_column, {', '.join(_FIELDS)}) "
           f"VALUES ({', '.join('?' * (len(_FIELDS) + 3))})")
_DUPLICATES = """SELECT barcode, line, barcode_column FROM prices_new WHERE barcode IN (
    SELECT barcode FROM prices_new GROUP BY barcode HAVING COUNT(*) > 1) ORDER BY barcode, line"""
_BATCH = 2000


@dataclass(frozen=True)
class Summary:
    """What the prices in use came from, and how many of each kind they hold."""

    entries: int = 0
    promotions: int = 0
    recalls: int = 0
    age_limits: int = 0
    source: str | None = None
    sha256: str | None = None
    imported_at: float | None = None  # time.time()


@dataclass(frozen=True)
class ImportOutcome:
    """A file taken (`problems` empty, `summary` its counts) or refused (the old stay)."""

    problems: tuple[Problem, ...]
    summary: Summary

    @property
    def accepted(self) -> bool:
        return not self.problems


class PriceBook:
    """The prices in use. Thread-safe: lookups from the main loop, imports from a worker."""

    def __init__(self, path: Path | None) -> None:
        """`path` None keeps the prices in memory (`kiosk check-prices`, tests)."""
        self.path = path
        self._lock = threading.Lock()
        self._conn = self._connect()

    def _connect(self) -> sqlite3.Connection:
        where = ":memory:" if self.path is None else str(self.path)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = _open(where)
        except sqlite3.DatabaseError as exc:
            if self.path is None or not _damaged(exc):
                raise StoreError(f"{where}: cannot be opened: {exc}") from exc
            aside = self.path.with_name(f"{self.path.name}.damaged-{int(time.time())}")
            logger.error("%s is damaged (%s); moved to %s, the prices are imported again",
                         self.path, exc, aside.name)
            for suffix in ("", "-wal", "-shm"):  # an old WAL must not replay into the new
                with contextlib.suppress(FileNotFoundError):
                    os.replace(f"{self.path}{suffix}", f"{aside}{suffix}")
            conn = _open(where)
        return conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> PriceBook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def lookup(self, barcode: str) -> PriceEntry | None:
        """The entry for a normalized barcode, or None when the price file has none."""
        with self._failing("cannot be read"), self._lock:
            row = self._conn.execute(_SELECT, (barcode,)).fetchone()
        return None if row is None else _entry(barcode, row)

    def summary(self) -> Summary:
        meta = self.meta()
        return Summary(
            entries=int(meta.get("entries", 0)), promotions=int(meta.get("promotions", 0)),
            recalls=int(meta.get("recalls", 0)), age_limits=int(meta.get("age_limits", 0)),
            source=meta.get("source"), sha256=meta.get("sha256"),
            imported_at=float(meta["imported_at"]) if "imported_at" in meta else None)

    def meta(self) -> dict[str, str]:
        """The record kept beside the prices: what was imported, what a source last saw."""
        with self._failing("cannot be read"), self._lock:
            return dict(self._conn.execute("SELECT key, value FROM meta").fetchall())

    def remember(self, values: dict[str, str]) -> None:
        """Keep a source's own notes (validators, a refused file's hash) across restarts."""
        with self._failing("cannot be written"), self._lock, self._conn:
            self._conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())

    def import_file(self, path: Path, normalize: Normalize, limits: Limits, *,
                    label: str | None = None, sha256: str | None = None) -> ImportOutcome:
        """Check the whole file and, only if it has no problem, make it the prices in use.

        `label` names the file in problems (a URL for a download); `sha256`, the file's
        hash, is recorded so a source can tell the same file from a new one. Raises
        OSError when the file cannot be opened or read to its end, StoreError when the
        database fails: not the file's fault, so no outcome, and nothing changed."""
        name = label or str(path)
        problems = Problems(name, limits.max_problems)
        with path.open("rb") as stream:
            before = os.fstat(stream.fileno())
            if before.st_size > limits.max_bytes:
                problems.add(0, 0, f"{before.st_size} bytes, more than the limit of "
                                   f"{limits.max_bytes} (prices.max_mb)")
                return ImportOutcome(tuple(problems.all()), self.summary())
            fmt = format_of(path.name if label is None else label, stream.peek(64))
            rows = read_entries(stream, fmt, normalize, limits, problems)
            with self._failing("the import failed"):
                summary = self._import(rows, path, before, problems, name, sha256)
        if problems.items:
            return ImportOutcome(tuple(problems.all()), self.summary())
        return ImportOutcome((), summary)

    def _import(self, rows: Iterator[tuple[int, int, PriceEntry]], path: Path,
                before: os.stat_result, problems: Problems, name: str, sha256: str | None
                ) -> Summary:
        """Fill the new table; swap it in if no problem was found. Raises OSError when
        the file cannot be read to its end, sqlite3.Error when the database fails: in
        both cases nothing changed."""
        summary = Summary()
        with self._writer() as conn:
            counts = _fill(conn, rows, problems)
            if counts[0] == 0 and not problems.items:
                # A failed export is often a header alone: it must not wipe the prices.
                problems.add(0, 0, "no price rows: a file without any is refused")
            if _moved(path, before):
                problems.add(0, 0, "changed while it was read; it is read again when "
                                   "it stays still")
            if problems.items:
                conn.execute("ROLLBACK")
            else:
                summary = Summary(*counts, source=name, sha256=sha256,
                                  imported_at=time.time())
                _swap(conn, summary)
        return summary

    @contextlib.contextmanager
    def _failing(self, what: str) -> Iterator[None]:
        """SQLite's errors as the one StoreError a caller catches (disk full, damage)."""
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path or 'prices in memory'}: {what}: {exc}") from exc

    def _writer(self) -> _Writer:
        if self.path is None:
            return _Writer(self._conn, self._lock, own=False)
        conn = _open(str(self.path))
        return _Writer(conn, None, own=True)


class _Writer:
    """A connection in an IMMEDIATE transaction, rolled back on any way out but COMMIT."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.Lock | None, own: bool) -> None:
        self.conn, self.lock, self.own = conn, lock, own

    def __enter__(self) -> sqlite3.Connection:
        if self.lock is not None:
            self.lock.acquire()
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, *exc: object) -> None:
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        finally:
            if self.lock is not None:
                self.lock.release()
            if self.own:
                self.conn.close()


def _open(where: str) -> sqlite3.Connection:
    conn = sqlite3.connect(where, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA busy_timeout=5000")
        if where != ":memory:":
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA journal_size_limit=4194304")
        conn.execute(_TABLE.format(name="prices").replace("TABLE", "TABLE IF NOT EXISTS", 1))
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND "
                        "tbl_name = 'prices'").fetchone() is None:
            conn.execute(_INDEX.format(index="IF NOT EXISTS prices_by_barcode", name="prices"))
        conn.execute(_META)
    except BaseException:
        conn.close()
        raise
    return conn


def _moved(path: Path, before: os.stat_result) -> bool:
    try:
        after = os.stat(path)
    except OSError:
        return True
    return (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns)


def _damaged(exc: sqlite3.DatabaseError) -> bool:
    return getattr(exc, "sqlite_errorcode", None) in (11, 26)  # CORRUPT, NOTADB


def _fill(conn: sqlite3.Connection, rows: Iterator[tuple[int, int, PriceEntry]],
          problems: Problems) -> tuple[int, int, int, int]:
    """Insert the rows into a new table and index it; a barcode seen before is a problem."""
    conn.execute("DROP TABLE IF EXISTS prices_new")
    conn.execute(_TABLE.format(name="prices_new"))
    entries = promotions = recalls = ages = 0
    batch: list[tuple[object, ...]] = []
    for line, column, entry in rows:
        entries += 1
        promotions += entry.promo_price is not None
        recalls += entry.recall is not None
        ages += entry.age_limit is not None
        batch.append(_row(line, column, entry))
        if len(batch) >= _BATCH:
            conn.executemany(_INSERT, batch)
            batch = []
    conn.executemany(_INSERT, batch)
    _index(conn, problems)
    return entries, promotions, recalls, ages


def _index(conn: sqlite3.Connection, problems: Problems) -> None:
    # Index names are global in a database: the old table's index is still there.
    index = f"prices_by_barcode_{secrets.token_hex(4)}"
    try:
        conn.execute(_INDEX.format(index=index, name="prices_new"))
    except sqlite3.IntegrityError:  # only now, on the way to a refusal, find which
        first: dict[str, int] = {}
        for barcode, line, column in conn.execute(_DUPLICATES):
            if barcode in first:
                problems.add(line, column, f"barcode {barcode} again: already on line "
                                           f"{first[barcode]} (the same GTIN after GS1 "
                                           "normalization)")
            else:
                first[barcode] = line


def _swap(conn: sqlite3.Connection, summary: Summary) -> None:
    conn.execute("DROP TABLE prices")
    conn.execute("ALTER TABLE prices_new RENAME TO prices")
    conn.execute("DELETE FROM meta WHERE key IN ('source', 'sha256')")
    values = {"entries": summary.entries, "promotions": summary.promotions,
              "recalls": summary.recalls, "age_limits": summary.age_limits,
              "source": summary.source, "sha256": summary.sha256,
              "imported_at": summary.imported_at}
    conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                     [(k, str(v)) for k, v in values.items() if v is not None])
    conn.execute("COMMIT")


def _row(line: int, column: int, e: PriceEntry) -> tuple[object, ...]:
    return (e.barcode, line, column, _text(e.price), _text(e.promo_price),
            _text(e.promo_from), _text(e.promo_until), _text(e.unit_price), e.unit,
            e.age_limit, e.recall, e.name)


def _text(value: Decimal | date | None) -> str | None:
    return None if value is None else value.isoformat() if isinstance(value, date) else str(value)


def _entry(barcode: str, row: tuple[object, ...]) -> PriceEntry:
    price, promo, start, end, unit_price, unit, age, recall, name = row
    return PriceEntry(
        barcode, _dec(price), _dec(promo), _day(start), _day(end), _dec(unit_price),
        unit if isinstance(unit, str) else None, age if isinstance(age, int) else None,
        recall if isinstance(recall, str) else None, name if isinstance(name, str) else None)


def _dec(value: object) -> Decimal | None:
    return Decimal(value) if isinstance(value, str) else None


def _day(value: object) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None
