"""Damaged database files: the money facts (spend history, the running total, set-aside
markers, queued scans, cached products) are kept wherever the damage spares them.

One pristine pair of files is built per module and copied for each test; the damage is
aimed at pages found with `kiosk.store.pages.carve` on the intact copy, so the rows that
must survive are known exactly.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.store import CacheHit, Store, StoreCorrupt
from kiosk.store._damaged import prune_copies
from kiosk.store.pages import Record, carve
from kiosk.store.paid import PaidAnswer
from tests.store.store_helpers import product

QUEUED = 200
SPENT = 400
PRODUCTS = 30
QUEUE_PAGE = 1024  # facade.py: the queue file's page size
CACHE_PAGE = 4096  # SQLite's default, the cache file's


def _code(i: int) -> str:
    return f"{i:012d}"


def _image(i: int) -> bytes:
    return f"image of {i}".encode() * 20


@dataclass(frozen=True)
class Facts:
    waiting: list[str]
    aside: list[str]
    spend: list[tuple[float, float]]
    total: float
    cached: dict[str, bytes | None]


def _facts(s: Store) -> Facts:
    cached: dict[str, bytes | None] = {}
    for i in range(PRODUCTS):
        try:
            hit = s.cache.get(_code(1000 + i))
        except StoreCorrupt:  # a row kept whose JSON a flipped bit broke: bought again
            continue
        if isinstance(hit, CacheHit):
            cached[hit.barcode] = hit.image
    return Facts(
        waiting=[i.barcode for i in s.queue.items()],
        aside=[i.barcode for i in s.queue.set_aside_items()],
        spend=s.spending.since(0.0), total=round(s.spending.total(), 6), cached=cached,
    )


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Facts]:
    """Queue rows and spend rows written in turn (so their pages interleave), every tenth
    scan set aside, and cached products with a photo each."""
    root = tmp_path_factory.mktemp("pristine")
    with Store.open(root / "state", root / "cache") as s:
        for i in range(SPENT):
            if i % 2 == 0:
                s.queue.enqueue(_code(i // 2), "hid:0", "network")
                if i // 2 % 10 == 0:
                    s.queue.set_aside(_code(i // 2), "answer could not be used")
            s.spending.record(1_000_000.0 + i, 0.1 * (1 + i % 3))
        for i in range(PRODUCTS):
            s.cache.put(_code(1000 + i), product(_code(1000 + i)), _image(i), credits=1.3)
        facts = _facts(s)
    assert len(facts.waiting) + len(facts.aside) == QUEUED and len(facts.spend) == SPENT
    assert len(facts.cached) == PRODUCTS
    return root, facts


@pytest.fixture
def copy(pristine: tuple[Path, Facts], tmp_path: Path) -> tuple[Path, Facts]:
    root, facts = pristine
    for name in ("state", "cache"):
        shutil.copytree(root / name, tmp_path / name)
    return tmp_path, facts


def _records(path: Path, page_size: int, shape: Callable[[Record], bool]) -> list[Record]:
    records, bad, header_ok = carve(path, page_size)
    assert bad == 0 and header_ok
    return [r for r in records if shape(r)]


def _is_spend(r: Record) -> bool:
    return len(r.values) == 2 and r.values[0] is not None


def _is_queue(r: Record) -> bool:
    return len(r.values) == 13


def _is_paid(r: Record) -> bool:
    return len(r.values) == 9 and isinstance(r.values[0], str)


def _is_image(r: Record) -> bool:
    return len(r.values) == 5 and r.values[1] == "front"


def _tear(path: Path, page: int, page_size: int) -> None:
    with path.open("r+b") as fh:
        fh.seek((page - 1) * page_size)
        fh.write(os.urandom(page_size))


def _damage_lines(caplog: pytest.LogCaptureFixture, name: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if "was damaged" in r.getMessage() and f"/{name} " in r.getMessage()]


def _open(root: Path) -> Store:
    return Store.open(root / "state", root / "cache")


def _reopen_is_clean(root: Path, facts: Facts, caplog: pytest.LogCaptureFixture) -> None:
    """A second open finds nothing to salvage and the same facts."""
    copies = sorted(root.glob("*/*.corrupt-*"))
    caplog.clear()
    with _open(root) as s:
        assert _facts(s) == facts
        assert s.integrity_check() == {"queue": ["ok"], "cache": ["ok"]}
    assert not [r for r in caplog.records if "was damaged" in r.getMessage()]
    assert sorted(root.glob("*/*.corrupt-*")) == copies


def test_a_torn_page_in_the_spend_history_costs_only_its_rows(
        copy: tuple[Path, Facts], caplog: pytest.LogCaptureFixture) -> None:
    root, before = copy
    db = root / "state" / "kiosk.db"
    spend = _records(db, QUEUE_PAGE, _is_spend)
    pages = sorted({r.page for r in spend})
    torn = pages[len(pages) // 2]
    lost = {(r.values[0], r.values[1]) for r in spend if r.page == torn}
    assert 0 < len(lost) < SPENT // 4
    _tear(db, torn, QUEUE_PAGE)
    caplog.set_level(logging.WARNING, logger="kiosk.store")
    with _open(root) as s:
        after = _facts(s)
    assert after.spend == [row for row in before.spend if row not in lost]
    assert sum(c for _, c in after.spend) == pytest.approx(
        sum(c for _, c in before.spend) - sum(c for _, c in lost))
    assert (after.waiting, after.aside, after.total, after.cached) == (
        before.waiting, before.aside, before.total, before.cached)
    (line,) = _damage_lines(caplog, "kiosk.db")
    assert f"queue {QUEUED}, spending {SPENT - len(lost)}, spending_total 1" in line
    assert "unreadable stretch(es) of spending" in line
    _reopen_is_clean(root, after, caplog)


def test_a_truncated_file_keeps_the_rows_on_the_pages_left(
        copy: tuple[Path, Facts], caplog: pytest.LogCaptureFixture) -> None:
    root, before = copy
    db = root / "state" / "kiosk.db"
    pages = db.stat().st_size // QUEUE_PAGE
    left = pages * 6 // 10
    spend = _records(db, QUEUE_PAGE, _is_spend)
    queue = _records(db, QUEUE_PAGE, _is_queue)
    kept_spend = {(r.values[0], r.values[1]) for r in spend if r.page <= left}
    kept_queue = {r.values[1] for r in queue if r.page <= left}
    assert 0 < len(kept_spend) < SPENT and 0 < len(kept_queue) < QUEUED
    os.truncate(db, left * QUEUE_PAGE)
    caplog.set_level(logging.WARNING, logger="kiosk.store")
    with _open(root) as s:
        after = _facts(s)
    # Before this salvage a truncated file kept no spend row at all.
    assert after.spend == [row for row in before.spend if row in kept_spend]
    assert after.waiting == [b for b in before.waiting if b in kept_queue]
    assert after.aside == [b for b in before.aside if b in kept_queue]
    assert after.aside, "set-aside markers on the pages left are kept"
    assert after.total == before.total and after.cached == before.cached
    assert len(_damage_lines(caplog, "kiosk.db")) == 1
    _reopen_is_clean(root, after, caplog)


def test_a_garbage_header_loses_nothing_of_either_file(
        copy: tuple[Path, Facts], caplog: pytest.LogCaptureFixture) -> None:
    root, before = copy
    _tear(root / "state" / "kiosk.db", 1, QUEUE_PAGE)
    _tear(root / "cache" / "cache.db", 1, CACHE_PAGE)
    caplog.set_level(logging.WARNING, logger="kiosk.store")
    with _open(root) as s:
        after = _facts(s)
        assert s.stats().cache.products == PRODUCTS  # the totals rebuilt by the triggers
    assert after == before
    (queue_line,) = _damage_lines(caplog, "kiosk.db")
    (cache_line,) = _damage_lines(caplog, "cache.db")
    assert f"queue {QUEUED}, spending {SPENT}, spending_total 1" in queue_line
    assert f"products {PRODUCTS}, images {PRODUCTS}, misses 0" in cache_line
    assert "header lost" in queue_line and "header lost" in cache_line
    _reopen_is_clean(root, after, caplog)


def test_lost_image_rows_are_named_again_from_the_files(
        copy: tuple[Path, Facts], caplog: pytest.LogCaptureFixture) -> None:
    root, before = copy
    db = root / "cache" / "cache.db"
    for page in {r.page for r in _records(db, CACHE_PAGE, _is_image)}:
        _tear(db, page, CACHE_PAGE)
    caplog.set_level(logging.WARNING, logger="kiosk.store")
    with _open(root) as s:
        after = _facts(s)
        s.cache.sweep()  # the files are named again, so not swept as orphans
    assert after.cached == before.cached  # every photo, byte for byte
    (line,) = _damage_lines(caplog, "cache.db")
    assert f"{PRODUCTS} image file(s) named again from the disk" in line
    _reopen_is_clean(root, after, caplog)


def test_a_file_with_nothing_readable_is_replaced(
        copy: tuple[Path, Facts], caplog: pytest.LogCaptureFixture) -> None:
    root, _before = copy
    db = root / "cache" / "cache.db"
    db.write_bytes(os.urandom(db.stat().st_size))
    caplog.set_level(logging.WARNING, logger="kiosk.store")
    with _open(root) as s:
        assert _facts(s).cached == {}
        s.cache.put(_code(1), product(_code(1)), b"img")
        assert isinstance(s.cache.get(_code(1)), CacheHit)
    (line,) = _damage_lines(caplog, "cache.db")
    assert "products 0, images 0, misses 0" in line


def test_old_damaged_copies_are_pruned_to_the_newest(
        copy: tuple[Path, Facts], caplog: pytest.LogCaptureFixture) -> None:
    root, _before = copy
    state = root / "state"
    for day in range(1, 5):
        (state / f"kiosk.db.corrupt-2026010{day}-120000").write_bytes(b"x" * 100)
    (state / "kiosk.db.corrupt-20260101-120000-wal").write_bytes(b"x" * 100)
    caplog.set_level(logging.WARNING, logger="kiosk.store")
    with _open(root):  # a clean open prunes what an older release left
        pass
    assert sorted(p.name for p in state.glob("kiosk.db.corrupt-*")) == [
        "kiosk.db.corrupt-20260103-120000", "kiosk.db.corrupt-20260104-120000"]
    prunes = [r.getMessage() for r in caplog.records if "older damaged" in r.getMessage()]
    assert len(prunes) == 1 and "removed 2 older damaged copies of kiosk.db" in prunes[0]
    _tear(state / "kiosk.db", 1, QUEUE_PAGE)
    with _open(root):  # new damage: its copy and the newest old one stay
        pass
    copies = sorted(p.name for p in state.glob("kiosk.db.corrupt-*"))
    assert len(copies) == 2 and copies[0] == "kiosk.db.corrupt-20260104-120000"
    assert not copies[1].startswith("kiosk.db.corrupt-2026010")


def test_copies_past_the_size_cap_go_first_but_the_newest_stays(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    for n in (1, 2, 3):
        (tmp_path / f"kiosk.db.corrupt-20260101-120000{'' if n == 1 else f'-{n}'}"
         ).write_bytes(b"x" * 1000)
    assert prune_copies(db, keep=2, max_bytes=1500) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["kiosk.db.corrupt-20260101-120000-3"]
    assert prune_copies(db, keep=2, max_bytes=10) == 0  # the newest is never removed


_NOISE = random.Random(26).randbytes(64 * 1024)  # the same noise every run


@pytest.mark.parametrize("content", [
    b"SQLite", b"SQLite format 3\x00\x10", b"SQLite format 3\x00" + bytes(84),
    b"SQLite format 3\x00" + _NOISE, _NOISE, b"SQLite format 3\x00\x04\x00" + _NOISE[:30000],
], ids=["short", "magic-only", "header-only", "magic+garbage", "garbage", "1k-pages+garbage"])
def test_any_garbage_gives_an_empty_working_store(tmp_path: Path, content: bytes) -> None:
    for path in (tmp_path / "state" / "kiosk.db", tmp_path / "cache" / "cache.db"):
        path.parent.mkdir()
        path.write_bytes(content)
    with _open(tmp_path) as s:
        s.queue.enqueue(_code(1), "hid:0", "network")
        s.spending.record(1.0, 0.5)
        assert s.spending.total() == 0.5  # no stray running total came out of the noise
        assert s.spending.since(0.0) == [(1.0, 0.5)]
        assert [i.barcode for i in s.queue.items()] == [_code(1)]


def test_scattered_bit_rot_never_stops_the_store(copy: tuple[Path, Facts]) -> None:
    """Bytes flipped all over both files (a dying SD card): the store opens every time and
    keeps no more rows than there were."""
    root, _before = copy
    rng = random.Random(7)
    for path in (root / "state" / "kiosk.db", root / "cache" / "cache.db"):
        data = bytearray(path.read_bytes())
        for _ in range(200):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(data))
    with _open(root) as s:
        # Counts only: a flipped bit inside a row's JSON is read back as it is (SQLite
        # has no checksum to notice it), and decoding it is the queue's and cache's job.
        stats = s.stats()
        spend = s.spending.since(0.0)
        assert s.integrity_check() == {"queue": ["ok"], "cache": ["ok"]}
    assert len(spend) <= SPENT and stats.queue.depth + stats.queue.set_aside <= QUEUED
    assert stats.cache.products <= PRODUCTS
    assert spend and stats.queue.depth, "something survives 200 flipped bits"


def _paid_state(root: Path, paid: int) -> None:
    """A state file as a kiosk that pays for answers leaves it: queued scans, paid answers
    (some settled) with their spends, and scans queued then paid (their rows deleted)."""
    with Store.open(root / "state", root / "cache") as s:
        for i in range(QUEUED):
            s.queue.enqueue(_code(i), "hid:0", "network")
        for i in range(QUEUED - 20, QUEUED - 20 + paid):  # the last queued get paid, then new
            s.paid.record(PaidAnswer(
                barcode=_code(i), product=product(_code(i)),
                front_url=f"https://example.invalid/front/{i}" if i % 3 else None,
                url_expires_at=2_000_000.0 + i, request_id=f"req-{i}",
                credits=1.3, paid_at=1_000_000.0 + i))
            if i % 2:
                s.paid.mark(_code(i), cached=True, photo_done=i % 4 == 1)


def _state_rows(db: Path) -> dict[str, set[tuple[object, ...]]]:
    conn = sqlite3.connect(db)
    try:
        return {t: set(conn.execute(f"SELECT rowid, * FROM {t}"))
                for t in ("queue", "spending", "spending_total", "paid")}
    finally:
        conn.close()


@pytest.mark.parametrize(("paid", "lost_pages"), [(0, 4), (30, 1), (30, 4)],
                         ids=["nothing-paid-4-pages", "paid-1-page", "paid-4-pages"])
def test_a_garbage_start_of_a_state_file_with_paid_answers_keeps_the_rest(
        tmp_path: Path, paid: int, lost_pages: int, caplog: pytest.LogCaptureFixture) -> None:
    """The state file with its paid table (a TEXT key: an index b-tree beside it; two
    empty pages while nothing is paid) after its first pages turned to garbage: the raw
    reader finds the 1 KiB pages without header or hint and puts every row after the
    damage back in its table, the paid answers included. (The empty pages once made a
    16 KiB guess win, and not one row came back.)"""
    _paid_state(tmp_path, paid)
    db = tmp_path / "state" / "kiosk.db"
    before = _state_rows(db)
    assert len(before["queue"]) == QUEUED - min(paid, 20) and len(before["paid"]) == paid
    records, bad, header_ok = carve(db, QUEUE_PAGE)
    assert bad == 0 and header_ok
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA freelist_count").fetchone() == (0,)  # no old rows to return
    finally:
        conn.close()
    shapes = {"queue": _is_queue, "spending": _is_spend, "paid": _is_paid,
              "spending_total": lambda r: len(r.values) == 2 and r.values[0] is None}
    expected = {t: {row for row in rows if any(
        r.rowid == row[0] and r.page > lost_pages for r in records if shapes[t](r))}
        for t, rows in before.items()}
    assert expected["paid"] == before["paid"]  # the damage spares them: all must come back
    assert len(expected["queue"]) >= QUEUED * 3 // 4
    assert len(expected["spending"]) >= paid * 5 // 6
    with db.open("r+b") as fh:
        fh.write(_NOISE[:lost_pages * QUEUE_PAGE])
    found, _bad, header_ok = carve(db)  # no hint: the page size is found from the pages
    assert not header_ok
    assert {r for r in records if r.page > lost_pages} <= set(found)
    caplog.set_level(logging.WARNING, logger="kiosk.store")
    with _open(tmp_path) as s:
        answer = s.paid.get(_code(QUEUED - 19))
        if paid:
            assert answer and (answer.request_id, answer.cached) == (f"req-{QUEUED - 19}", True)
        else:
            assert answer is None
        assert s.integrity_check()["queue"] == ["ok"]
    assert _state_rows(db) == expected
    (line,) = _damage_lines(caplog, "kiosk.db")
    assert f"queue {len(expected['queue'])}, spending {len(expected['spending'])}" in line
    assert f"paid {paid}" in line and "header lost" in line
