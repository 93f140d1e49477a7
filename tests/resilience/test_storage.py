"""The disk under the daemon: a state database that is garbage, a disk that is full.
The daemon starts anyway, keeps drawing cards, and keeps every scan it can."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.sandbox import Sandbox
from tests.resilience.util import (
    Figures,
    Fleet,
    lookups,
    products,
    snapshot,
    stop,
)


def test_corrupt_databases_are_moved_aside_and_the_kiosk_works(
        tmp_path: Path, sandbox: Sandbox, figures: Figures, fleet: Fleet) -> None:
    case = figures.case("corrupt queue and cache databases")
    garbage = os.urandom(64 * 1024)
    for path in (tmp_path / "state" / "kiosk.db", tmp_path / "cache" / "cache.db"):
        path.parent.mkdir(parents=True)
        path.write_bytes(b"SQLite format 3\x00" + garbage)
    code, offline = products(sandbox, 2)
    k, scanner = fleet.start_scanning(tmp_path, sandbox)
    try:
        scanner.send(code)
        k.wait_scan(code, "shown")
        sandbox.set_online(False)
        scanner.send(offline)
        k.wait_scan(offline, "queued")
        case.scans += 2
        assert k.alive()
        damaged = [e["MESSAGE"] for e in k.journal() if "was damaged" in e.get("MESSAGE", "")]
        assert len(damaged) == 2, damaged  # one warning per file, not one per access
        assert stop(k) == 0
    finally:
        scanner.unplug()
    assert sorted(p.name.split(".corrupt-")[0] for p in tmp_path.glob("*/*.corrupt-*")) == [
        "cache.db", "kiosk.db"]
    after = snapshot(tmp_path, [code, offline])
    assert after.cached == {code} and after.queued == {offline}
    assert lookups(sandbox, code) == 1


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("a full disk is a small tmpfs, and mounting one needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)],
                             capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    for name in ("state", "cache"):
        (disk / name).mkdir()
        (tmp_path / name).symlink_to(disk / name)
    try:
        yield disk
    finally:
        if subprocess.run(["umount", str(disk)], check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
    return filler


def test_full_disk(tmp_path: Path, small_disk: Path, sandbox: Sandbox, figures: Figures,
                   fleet: Fleet) -> None:
    case = figures.case("full disk")
    first, online, offline = products(sandbox, 3)
    k, scanner = fleet.start_scanning(tmp_path, sandbox)
    try:
        scanner.send(first)
        k.wait_scan(first, "shown")
        filler = fill(small_disk)
        scanner.send(online)  # looked up and shown, though it cannot be cached
        k.wait_scan(online, "shown")
        scanner.send(first)  # the cache still reads
        k.wait_scan(first, "cached")
        sandbox.set_online(False)
        scanner.send(offline)
        k.wait_scan(offline, "queued")
        case.scans += 4
        assert k.alive()
        assert any("cannot write" in e.get("MESSAGE", "") for e in k.journal())
        filler.unlink()  # space again before the stop: the held scan reaches the disk
        assert stop(k) == 0
    finally:
        scanner.unplug()
        with contextlib.suppress(FileNotFoundError):
            (small_disk / "filler").unlink()
    after = snapshot(tmp_path, [first, online, offline])
    case.lost = len(after.lost([offline]))
    assert after.queued == {offline}
    assert lookups(sandbox, first) == 1
