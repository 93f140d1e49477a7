"""Fixtures for the store tests: the same store on a file and in memory, tiny file systems
for disk-full and read-only cases (the clock and `file_store`: tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.store import Store
from tests.helpers import FakeClock


@pytest.fixture(params=["file", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> Iterator[Store]:
    """The contract fixture: the same tests on a temp-file store and an in-memory one."""
    state = tmp_path / "state" if request.param == "file" else None
    s = Store.open(state, tmp_path / "cache", clock=clock, product_ttl_s=7 * 86400,
                   miss_ttl_s=3600, max_bytes=10_000_000)
    yield s
    s.close()


def _mount_tmpfs(where: Path, size: str) -> bool:
    if os.geteuid() != 0:
        return False
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}",
                           f"kiosk-test-{uuid.uuid4().hex[:8]}", str(where)],
                          capture_output=True, check=False)
    return done.returncode == 0


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 512 KiB tmpfs (needs root and mount); skips where it cannot be mounted."""
    where = tmp_path / "tiny"
    if not _mount_tmpfs(where, "512k"):
        pytest.skip("cannot mount a tmpfs here (needs root); RLIMIT_FSIZE test covers disk full")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
