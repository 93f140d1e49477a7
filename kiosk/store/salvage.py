"""What a damaged SQLite file still holds, copied into the fresh file that replaces it.

The queue's file holds what nobody can redo: queued scans, the spend history the
spending guard counts, the running total of credits, set-aside markers (a column of the
queue row). The cache's file holds answers that were paid for. A bad page should cost
the rows on it, never the rest, so salvage is generic over tables: every table of the
fresh file's schema (whatever the migrations made, so a table added later is kept
without a change here) is copied row by row, rowids included (the queue's order is its
rowid). Tables that triggers maintain (the cache's running totals) are not copied:
the triggers rebuild them from the rows that were.

Two readers, the second only when the first met damage:

1. SQLite itself, table by table in rowid order. Where a read fails, the next readable
   rowid is found by galloping seeks then a binary search (a seek walks the b-tree from
   the root, so it passes a bad leaf by), and reading resumes there: one torn page
   costs its own rows.
2. The raw pages (`kiosk.store.pages`), when SQLite could not read the schema (a garbage
   header, a truncated file) or skipped stretches: every table leaf page is decoded and
   each row matched to the table whose columns it fits (count, storage classes, NOT
   NULL); a row that fits none or several is left out, and the new file's constraints
   refuse what still does not belong. Rows already copied by the first reader (same
   table, same rowid) are not copied twice.

The cache's rows of the `images` table point at files in the images directory whose
names carry the barcode and image key; a product whose image rows were lost gets its
files back from the disk (`kiosk.store._cache_files.relink_images`, the cache's own
repair, run in the same transaction). The product data itself is only in the
database: a product none of whose rows could be read is lost and will be bought again.
"""

from __future__ import annotations

import logging
import sqlite3
import struct
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.store._salvage_tables import MASTER, Table, quote, read_schema, table_of
from kiosk.store.files import unlink_quietly
from kiosk.store.pages import Record, Value, carve

__all__ = ["SalvageReport", "salvage_into"]

logger = logging.getLogger(__name__)

_READ_ERRORS = (sqlite3.Error, UnicodeDecodeError)
"""What reading a damaged file raises (SQLite's message can quote undecodable schema text)."""
_MIN_ROWID = -(1 << 63)
_MAX_ROWID = (1 << 63) - 1


@dataclass
class SalvageReport:
    """What was kept and lost, for the one journal line."""

    kept: dict[str, int] = field(default_factory=dict)
    rebuilt: list[str] = field(default_factory=list)
    refused: int = 0
    unreadable: dict[str, int] = field(default_factory=dict)  # table -> stretches skipped
    not_opened: str | None = None
    carved: bool = False
    bad_pages: int = 0
    unmatched_pages: int = 0
    header_lost: bool = False
    carve_failed: str | None = None

    def describe(self) -> str:
        kept = ", ".join(f"{t} {n}" for t, n in self.kept.items()) or "no table"
        lost: list[str] = []
        if self.not_opened is not None:
            lost.append(f"SQLite could not read it ({self.not_opened})")
        lost += [f"{n} unreadable stretch(es) of {t}" for t, n in self.unreadable.items()]
        if self.carve_failed is not None:
            lost.append(f"its raw pages could not be read ({self.carve_failed})")
        if self.carved and self.bad_pages:
            lost.append(f"{self.bad_pages} undecodable page(s) or row(s)")
        if self.carved and self.unmatched_pages:
            lost.append(f"{self.unmatched_pages} page(s) whose rows fit no table")
        if self.refused:
            lost.append(f"{self.refused} row(s) refused by the schema")
        text = f"rows kept: {kept}"
        if self.rebuilt:
            text += f" ({', '.join(self.rebuilt)} rebuilt from them)"
        text += "; lost: " + (", ".join(lost) if lost else "nothing found unreadable")
        if self.carved and self.carve_failed is None:
            text += "; its raw pages were read too"
            if self.header_lost:
                text += " (header lost: rows deleted before the damage may be back)"
        return text


def salvage_into(damaged: Path, conn: sqlite3.Connection, *,
                 page_size_hint: int | None = None) -> SalvageReport:
    """Copy every readable row of `damaged` into `conn`, inside the caller's transaction.

    `conn` has the current schema (freshly migrated). Raises `sqlite3.Error` only for
    trouble writing `conn`; reading trouble is what the report describes.
    """
    tables, derived = read_schema(conn)
    copier = _Copier(conn, tables)
    report = SalvageReport(rebuilt=[t.name for t in derived])
    # Rows of these are recognised (their pages are not "lost") but never copied.
    known = [*tables, *derived, MASTER]
    _read_with_sqlite(damaged, tables, copier, report)
    if report.not_opened is not None or report.unreadable:
        report.carved = True
        try:
            records, report.bad_pages, header_ok = carve(damaged, page_size_hint)
        except (OSError, ValueError, IndexError, struct.error) as exc:
            report.carve_failed = str(exc) or type(exc).__name__
        else:
            report.header_lost = not header_ok
            by_table: dict[str, list[Record]] = {t.name: [] for t in tables}
            for page in _by_page(records):
                chosen = {table_of(known, rec.values) for rec in page}
                if len(chosen) == 1 and (only := chosen.pop()) is not None:
                    if only.name in by_table:  # a leaf page belongs to one table
                        by_table[only.name] += page
                else:
                    report.unmatched_pages += 1
            for table in tables:  # creation order: a row's parent before the row
                for rec in by_table[table.name]:
                    names = [c.name for c in table.columns[:len(rec.values)]]
                    values = list(rec.values)
                    if table.ipk is not None:
                        values[table.ipk] = rec.rowid
                    copier.add(table, rec.rowid, names, values)
    report.kept = {t.name: copier.kept.get(t.name, 0) for t in tables}
    report.refused = copier.refused
    return report


def _by_page(records: list[Record]) -> list[list[Record]]:
    pages: dict[int, list[Record]] = {}
    for rec in records:
        pages.setdefault(rec.page, []).append(rec)
    return list(pages.values())



class _Copier:
    """Inserts salvaged rows once each (by table and rowid) and counts the outcome."""

    def __init__(self, conn: sqlite3.Connection, tables: list[Table]) -> None:
        self._conn = conn
        self._seen: dict[str, set[int]] = {t.name: set() for t in tables}
        self.kept: dict[str, int] = {}
        self.refused = 0

    def add(self, table: Table, rowid: int, names: list[str], values: list[Value]) -> None:
        seen = self._seen[table.name]
        if rowid in seen:
            return
        seen.add(rowid)
        columns = [quote(n) for n in names]
        params = list(values)
        if table.ipk is None:
            columns.insert(0, "rowid")
            params.insert(0, rowid)
        verb = "INSERT OR REPLACE" if table.seeded else "INSERT OR IGNORE"
        sql = (f"{verb} INTO {quote(table.name)} ({', '.join(columns)}) "
               f"VALUES ({', '.join('?' * len(params))})")
        try:
            added = self._conn.execute(sql, params).rowcount
        except sqlite3.IntegrityError as exc:
            logger.debug("salvaged row %d of %s refused: %s", rowid, table.name, exc)
            added = 0
        if added > 0:
            self.kept[table.name] = self.kept.get(table.name, 0) + 1
        else:
            self.refused += 1


def _read_with_sqlite(damaged: Path, tables: list[Table], copier: _Copier,
                      report: SalvageReport) -> None:
    try:
        src = sqlite3.connect(damaged.resolve().as_uri() + "?mode=ro", uri=True)
    except _READ_ERRORS as exc:
        report.not_opened = str(exc)
        return
    try:
        try:
            present = {r[0] for r in src.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        except _READ_ERRORS as exc:
            report.not_opened = str(exc)
            return
        for table in tables:
            if table.name not in present:
                continue
            try:
                has = {r[1] for r in src.execute(f"PRAGMA table_info({quote(table.name)})")}
            except _READ_ERRORS as exc:
                report.not_opened = str(exc)
                return
            names = [c.name for c in table.columns if c.name in has]
            skipped = _read_table(src, table, names, copier)
            if skipped:
                report.unreadable[table.name] = skipped
    finally:
        src.close()
        unlink_quietly(damaged.with_name(damaged.name + "-shm"))


def _read_table(src: sqlite3.Connection, table: Table, names: list[str],
                copier: _Copier) -> int:
    """Copy the table's rows in rowid order, passing unreadable stretches by; how many.

    Every pass starts above the last one, so a damaged b-tree (a loop, rowids out of
    order) cannot keep it going: at most one pass per row plus one per bad stretch."""
    cols = ", ".join(quote(n) for n in names)
    sql = f"SELECT rowid, {cols} FROM {quote(table.name)} WHERE rowid >= ? ORDER BY rowid"
    start = _MIN_ROWID
    skipped = 0
    while True:
        last: int | None = None
        try:
            for row in src.execute(sql, (start,)):
                rowid = int(row[0])
                if last is not None and rowid <= last:
                    raise sqlite3.DatabaseError(f"rowid {rowid} after {last}: b-tree out of order")
                last = rowid
                copier.add(table, rowid, names, list(row[1:]))
            return skipped
        except _READ_ERRORS as exc:
            skipped += 1
            failed = max(start, last + 1 if last is not None else start)
            logger.debug("%s: reading from rowid %d failed: %s", table.name, failed, exc)
        kind, rowid = _seek(src, table.name, failed)
        if kind == "end":
            return skipped
        if kind == "row":  # the row is found but its values cannot be read: skip it alone
            resume: int | None = rowid + 1 if rowid < _MAX_ROWID else None
        else:
            resume = _next_readable(src, table.name, failed)
        if resume is None or resume <= start:
            return skipped
        start = resume


def _next_readable(src: sqlite3.Connection, table: str, failed: int) -> int | None:
    """The smallest rowid > `failed` from which a seek succeeds (None: nothing more).

    Gallops (failed+1, +2, +4, ...) until a seek succeeds, then bisects back, so the
    rows right after a bad page are not skipped with it. At most ~128 seeks."""
    low, gap = failed, 1
    while True:
        probe = failed + gap
        if probe > _MAX_ROWID:
            return None
        if _seek(src, table, probe)[0] != "bad":
            break
        low, gap = probe, gap * 2
    high = probe
    while high - low > 1:
        mid = (low + high) // 2
        if _seek(src, table, mid)[0] == "bad":
            low = mid
        else:
            high = mid
    return None if _seek(src, table, high)[0] == "end" else high


def _seek(src: sqlite3.Connection, table: str, rowid: int) -> tuple[str, int]:
    """("row", the first rowid >= `rowid`), ("end", 0) or ("bad", 0)."""
    try:
        row = src.execute(f"SELECT rowid FROM {quote(table)} WHERE rowid >= ? "
                          "ORDER BY rowid LIMIT 1", (rowid,)).fetchone()
    except _READ_ERRORS:
        return "bad", 0
    return ("end", 0) if row is None else ("row", int(row[0]))
