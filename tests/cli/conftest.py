"""What the cli tests share: a directory held in RAM, as the overlay file system leaves
the state directory."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.store.durable import parse_mountinfo, placement


def on_tmpfs(path: Path) -> bool:
    mounts = parse_mountinfo(Path("/proc/self/mountinfo").read_text())
    return placement(str(path.resolve()), mounts).volatile


@pytest.fixture
def ram_dir() -> Iterator[Path]:
    """A fresh directory on /dev/shm (tmpfs on any systemd machine), removed after."""
    if not on_tmpfs(Path("/dev/shm")):
        pytest.skip("/dev/shm is not tmpfs here")
    with tempfile.TemporaryDirectory(dir="/dev/shm") as ram:
        yield Path(ram)
