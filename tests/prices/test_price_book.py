"""The prices in SQLite: a new file replaces the old whole, a refused one or a crash
leaves the old ones, a restart keeps them."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path

from kiosk.prices import Limits, PriceBook
from kiosk.scanner import gs1_gtin
from tests.helpers import REPO, wait_for
from tests.prices.price_files import GOOD, GOOD_BARCODES, gtin, load, write


def test_a_new_file_replaces_the_old_whole(book: PriceBook, tmp_path: Path) -> None:
    load(book, write(tmp_path, GOOD))
    assert load(book, write(tmp_path, "barcode,price\n5000000000005,3\n", "new.csv")) == []
    assert [book.lookup(b) for b in GOOD_BARCODES] == [None, None, None]
    entry = book.lookup("5000000000005")
    assert entry is not None and entry.price == Decimal(3)
    assert book.summary().entries == 1
    assert book.summary().source == str(tmp_path / "new.csv")


def test_a_refused_file_keeps_the_old_prices(book: PriceBook, tmp_path: Path) -> None:
    load(book, write(tmp_path, GOOD))
    before = [book.lookup(b) for b in GOOD_BARCODES], book.summary()
    # Valid rows first: they were inserted into the new table before the bad one came.
    bad = "barcode,price\n5000000000005,3\n012345678905,9\n4006381333931,-1\n"
    assert load(book, write(tmp_path, bad, "bad.csv")) != []
    assert ([book.lookup(b) for b in GOOD_BARCODES], book.summary()) == before
    assert book.lookup("5000000000005") is None


def test_the_prices_survive_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "prices.db"
    with PriceBook(db) as book:
        load(book, write(tmp_path, GOOD))
    with PriceBook(db) as book:
        assert book.summary().entries == 3
        assert book.lookup("012345678905") is not None


def test_lookups_go_on_during_an_import(tmp_path: Path) -> None:
    """A scan reads the old prices while a new file is imported on another thread."""
    book = PriceBook(tmp_path / "prices.db")
    load(book, write(tmp_path, GOOD))
    inside, release = threading.Event(), threading.Event()
    seen: list[object] = []

    def slow(text: str) -> str:
        if text == "5000000000005":
            inside.set()
            release.wait(20)
        return gs1_gtin(text)

    new = write(tmp_path, "barcode,price\n4006381333931,7\n5000000000005,3\n", "new.csv")
    worker = threading.Thread(target=lambda: seen.append(
        book.import_file(new, slow, Limits()).accepted))
    worker.start()
    assert inside.wait(20)
    old = book.lookup("4006381333931")
    release.set()
    worker.join(20)
    assert old is not None and old.price == Decimal("2.50")
    assert seen == [True]
    new_entry = book.lookup("4006381333931")
    assert new_entry is not None and new_entry.price == Decimal(7)
    book.close()


_CHILD = """
import sys, time
from pathlib import Path
from kiosk.scanner import gs1_gtin
from kiosk.prices import Limits, PriceBook
book = PriceBook(Path(sys.argv[1]))
marker = Path(sys.argv[3])
def normalize(text):
    if text == "5000000009992":
        marker.write_text("inside")
        time.sleep(60)
    return gs1_gtin(text)
book.import_file(Path(sys.argv[2]), normalize, Limits())
"""


def test_a_crash_mid_import_leaves_the_old_prices(tmp_path: Path) -> None:
    """Killed with thousands of new rows already written, the old prices are still there."""
    db = tmp_path / "prices.db"
    with PriceBook(db) as book:
        load(book, write(tmp_path, GOOD))
    rows = "".join(f"{gtin(f'5{i:011d}')},1\n" for i in range(1000, 5000))
    big = write(tmp_path, "barcode,price\n" + rows + "5000000009992,2\n", "big.csv")
    marker = tmp_path / "marker"
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(db), str(big), str(marker)],
                             cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        wait_for(marker.exists, what="the import to reach its last row")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(20)
    with PriceBook(db) as book:
        assert book.summary().entries == 3
        assert book.lookup("012345678905") is not None
        assert book.lookup("5000000010004") is None
        assert load(book, big) == []  # and the next import goes through
        assert book.summary().entries == 4001


def test_a_damaged_database_is_set_aside(tmp_path: Path) -> None:
    db = tmp_path / "prices.db"
    db.write_bytes(b"this is no SQLite database" * 200)
    with PriceBook(db) as book:
        assert book.summary().entries == 0
        assert load(book, write(tmp_path, GOOD)) == []
    assert len([p for p in tmp_path.iterdir() if p.name.startswith("prices.db.damaged-")]) == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM prices").fetchone() == (3,)
