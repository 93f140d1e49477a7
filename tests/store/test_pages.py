"""The raw page reader against SQLite's own answer, on a file whose newest pages are
still in its WAL (a power cut before any checkpoint)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kiosk.store.pages import carve


def test_raw_pages_read_what_sqlite_reads_with_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA page_size=1024")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")  # everything below stays in the WAL
    conn.execute("PRAGMA secure_delete=OFF")  # freed pages keep their old rows
    conn.execute("CREATE TABLE t (a TEXT NOT NULL, b REAL NOT NULL)")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO t VALUES (?, ?)",
                     [(f"row {i} " + "x" * (i % 50), i / 10) for i in range(800)])
    conn.execute("INSERT INTO t VALUES (?, 0.5)", ("long " * 400,))  # an overflow chain
    conn.execute("COMMIT")
    conn.execute("UPDATE t SET b = -b WHERE rowid % 7 = 0")
    conn.execute("DELETE FROM t WHERE rowid BETWEEN 100 AND 400")  # whole pages freed
    try:
        assert (tmp_path / "t.db-wal").stat().st_size > path.stat().st_size
        expected = {(r[0], r[1], r[2]) for r in conn.execute("SELECT rowid, a, b FROM t")}
        records, bad, header_ok = carve(path)
    finally:
        conn.close()
    rows = {(r.rowid, *r.values) for r in records if len(r.values) == 2}
    assert header_ok and bad == 0
    assert rows == expected  # newest copies win; freed pages and deleted rows stay out


def test_a_torn_last_wal_frame_drops_its_transaction_as_sqlite_does(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (a TEXT NOT NULL, b REAL NOT NULL)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(f"row {i}", i / 10) for i in range(50)])
    before = {(r[0], r[1], r[2]) for r in conn.execute("SELECT rowid, a, b FROM t")}
    conn.execute("INSERT INTO t VALUES ('paid?', 1.3)")  # one frame: the commit
    torn = tmp_path / "copy"
    torn.mkdir()
    for name in ("t.db", "t.db-wal"):
        torn.joinpath(name).write_bytes(tmp_path.joinpath(name).read_bytes())
    conn.close()
    wal = bytearray(torn.joinpath("t.db-wal").read_bytes())
    wal[-100] ^= 0xFF  # the power cut came while the last frame was being written
    torn.joinpath("t.db-wal").write_bytes(bytes(wal))
    records, _bad, _header_ok = carve(torn / "t.db")
    assert {(r.rowid, *r.values) for r in records if len(r.values) == 2} == before
    check = sqlite3.connect(torn / "t.db")
    try:
        assert {(r[0], r[1], r[2]) for r in check.execute("SELECT rowid, a, b FROM t")} == before
    finally:
        check.close()
