"""Damaged files, full and read-only disks: the store keeps running and says so once."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.store import CacheHit, CacheWriteError, ScanNotSaved, Store, StoreCorrupt
from tests.barcodes import CEREAL, FISH
from tests.helpers import FakeClock
from tests.store.store_helpers import product, remount

ROOT = Path(__file__).resolve().parents[2]


def _fill_queue(tmp_path: Path, n: int = 300) -> None:
    with Store.open(tmp_path / "state", tmp_path / "cache") as s:
        for i in range(n):
            s.queue.enqueue(f"{i:012d}", "hid:0", "network")
        for i in range(40):
            s.cache.put(f"{i:012d}", product(f"{i:012d}", "x" * 2000), b"img")


def _damage(path: Path, how: str) -> None:
    size = path.stat().st_size
    if how == "garbage":
        with path.open("r+b") as fh:
            fh.write(os.urandom(4096))
    else:
        os.truncate(path, size // 2)


def _damage_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "was damaged" in r.getMessage()]


@pytest.mark.parametrize("how", ["garbage", "truncate"])
def test_damaged_files_are_moved_aside_on_open(
    tmp_path: Path, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    _fill_queue(tmp_path)
    _damage(tmp_path / "state" / "kiosk.db", how)
    _damage(tmp_path / "cache" / "cache.db", how)
    caplog.set_level(logging.WARNING, logger="kiosk.store")
    with Store.open(tmp_path / "state", tmp_path / "cache") as s:
        kept = s.stats()
        assert 0 < kept.queue.depth <= 300 and kept.cache.products <= 40  # see test_salvage
        s.queue.enqueue(CEREAL, "hid:0", "network")
        s.cache.put(CEREAL, product(CEREAL), b"img")
        assert isinstance(s.cache.get(CEREAL), CacheHit)
        assert s.integrity_check() == {"queue": ["ok"], "cache": ["ok"]}
    assert len(list((tmp_path / "state").glob("kiosk.db.corrupt-*[0-9]"))) == 1
    assert len(list((tmp_path / "cache").glob("cache.db.corrupt-*[0-9]"))) == 1
    lines = _damage_lines(caplog)
    assert len(lines) == 2  # one per file
    assert "kiosk.db" in lines[0] and "moved it to kiosk.db.corrupt-" in lines[0]
    with Store.open(tmp_path / "state", tmp_path / "cache") as s:  # and it stays fixed
        assert s.stats().queue.depth == kept.queue.depth + 1
        assert s.queue.items()[-1].barcode == CEREAL
    assert len(_damage_lines(caplog)) == 2


def test_readable_queue_rows_are_salvaged(tmp_path: Path) -> None:
    with Store.open(tmp_path / "state", tmp_path / "cache") as s:
        for i in range(3000):
            s.queue.enqueue(f"{i:012d}", "hid:0", "network")
    db = tmp_path / "state" / "kiosk.db"
    with db.open("r+b") as fh:  # one bad stretch in the middle of the table
        fh.seek(db.stat().st_size // 2)
        fh.write(os.urandom(8192))
    with Store.open(tmp_path / "state", tmp_path / "cache") as s:
        depth = s.stats().queue.depth
        first = s.queue.peek()
    assert 0 < depth < 3000
    assert first is not None and first.barcode == "000000000000"


def test_damage_found_while_running_is_repaired(
    file_store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for i in range(50):
        file_store.queue.enqueue(f"{i:012d}", "hid:0", "network")
    writer = file_store._queue_db._writer
    assert writer is not None
    writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db = tmp_path / "state" / "kiosk.db"
    db.write_bytes(os.urandom(db.stat().st_size))
    caplog.set_level(logging.WARNING, logger="kiosk.store")
    assert file_store.queue.stats().depth == 0
    file_store.queue.enqueue(CEREAL, "hid:0", "network")
    assert [i.barcode for i in file_store.queue.items()] == [CEREAL]
    assert len(_damage_lines(caplog)) == 1


def test_readonly_store_does_not_repair(tmp_path: Path) -> None:
    _fill_queue(tmp_path, 10)
    _damage(tmp_path / "state" / "kiosk.db", "garbage")
    with pytest.raises(StoreCorrupt):
        Store.open(tmp_path / "state", tmp_path / "cache", readonly=True)
    assert not list((tmp_path / "state").glob("*.corrupt-*"))


def test_readonly_store_on_missing_files_reads_empty(tmp_path: Path) -> None:
    with Store.open(tmp_path / "nothing", tmp_path / "nocache", readonly=True) as s:
        assert s.stats().queue.depth == 0
        assert s.cache.get(CEREAL) is None
    assert not (tmp_path / "nothing").exists()


def test_damaged_image_file_is_not_shown(file_store: Store) -> None:
    file_store.cache.put(CEREAL, product(CEREAL), b"a real jpeg")
    (image,) = file_store.cache.directory.iterdir()
    image.write_bytes(b"a real jp")  # truncated behind our back
    hit = file_store.cache.get(CEREAL)
    assert isinstance(hit, CacheHit) and hit.image is None


def _write_failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "cannot write" in r.getMessage()]


def test_disk_full(tiny_fs: Path, caplog: pytest.LogCaptureFixture, clock: FakeClock) -> None:
    caplog.set_level(logging.INFO, logger="kiosk.store")
    store = Store.open(tiny_fs / "state", tiny_fs / "cache", clock=clock)
    store.queue.enqueue("000000000017", "hid:0", "network")
    store.cache.put(FISH, product(FISH), b"photo")
    filler = tiny_fs / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    # The WAL may still have room for a few commits; it fills up soon.
    with pytest.raises(ScanNotSaved) as raised:
        for i in range(1000):
            store.queue.enqueue(f"1{i:011d}", "hid:0", "network")
    assert raised.value.kind in ("full", "io") and raised.value.held_in_memory
    unsaved_barcode = raised.value.barcode
    assert store.queue.stats().unsaved == 1
    assert store.queue.items()[-1].barcode == unsaved_barcode
    with pytest.raises(ScanNotSaved):
        store.queue.enqueue("000000000024", "hid:0", "network")
    with pytest.raises(CacheWriteError):
        store.cache.put("04963406", product("04963406"), b"x" * 100_000)
    held = store.cache.get("04963406")  # still shown, from memory
    assert isinstance(held, CacheHit) and not held.saved and held.image == b"x" * 100_000
    assert isinstance(store.cache.get(FISH), CacheHit)
    assert len(_write_failures(caplog)) == 2  # one per file, not one per attempt

    filler.unlink()
    store.queue.enqueue("000000000031", "hid:0", "network")
    assert store.queue.stats().unsaved == 0
    store.close()
    with Store.open(tiny_fs / "state", tiny_fs / "cache", clock=clock) as s:
        barcodes = [i.barcode for i in s.queue.items()]
    assert {unsaved_barcode, "000000000024", "000000000031"} <= set(barcodes)
    assert barcodes[-1] == "000000000031"
    assert sum("works again" in r.getMessage() for r in caplog.records) >= 1


_RLIMIT_CHILD = """
import json, resource, signal, sys
from pathlib import Path
from kiosk.store import ScanNotSaved, Store
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
root = Path(sys.argv[1])
store = Store.open(root / "state", root / "cache")
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (96 * 1024, hard))
out = {"saved": 0}
try:
    for i in range(100000):
        store.queue.enqueue(f"{i:012d}", "hid:0", "network")
        out["saved"] += 1
except ScanNotSaved as exc:
    out["kind"] = exc.kind
    out["unsaved"] = store.queue.stats().unsaved
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
store.queue.enqueue("999999999993", "hid:0", "network")
out["after"] = store.queue.stats().depth
out["unsaved_after"] = store.queue.stats().unsaved
store.close()
print(json.dumps(out))
"""


def test_file_size_limit_in_a_child(tmp_path: Path) -> None:
    """Disk full as EFBIG (RLIMIT_FSIZE): works without root or a mount."""
    done = subprocess.run(
        [sys.executable, "-c", _RLIMIT_CHILD, str(tmp_path)], capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["saved"] > 0 and out["kind"] in ("full", "io") and out["unsaved"] == 1
    assert out["unsaved_after"] == 0 and out["after"] == out["saved"] + 2


def test_read_only_file_system(tiny_fs: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Started on a file system that went read-only (ext4 errors=remount-ro), then fixed.

    (A live switch cannot be staged: remount,ro refuses while files are open for writing.)
    """
    with Store.open(tiny_fs / "state", tiny_fs / "cache") as s:
        s.queue.enqueue("000000000017", "hid:0", "network")
        s.cache.put(FISH, product(FISH), b"photo")
    caplog.set_level(logging.WARNING, logger="kiosk.store")
    remount(tiny_fs, "ro")
    try:
        store = Store.open(tiny_fs / "state", tiny_fs / "cache")  # does not raise
        with pytest.raises(ScanNotSaved) as raised:
            store.queue.enqueue("000000000024", "hid:0", "network")
        assert raised.value.kind == "readonly"
        with pytest.raises(ScanNotSaved):
            store.queue.enqueue("000000000031", "hid:0", "network")
        hit = store.cache.get(FISH)
        assert isinstance(hit, CacheHit) and hit.image == b"photo"
        with pytest.raises(CacheWriteError):
            store.cache.put("04963406", product("04963406"), b"x")
        assert isinstance(store.cache.get("04963406"), CacheHit)  # from memory
        assert store.queue.stats().depth == 3 and store.queue.stats().unsaved == 2
    finally:
        remount(tiny_fs, "rw")
    assert len(_write_failures(caplog)) == 2  # once per file, not per attempt
    store.housekeeping()  # what the idle drainer does: the held scans reach the disk
    assert store.queue.stats().unsaved == 0
    assert [i.barcode for i in store.queue.items()] == [
        "000000000017", "000000000024", "000000000031"]
    store.close()
