"""The one atomic writer shared by the refresh token and the image cache."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.atomic import write_atomic


def test_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "state.json"
    write_atomic(target, b"old")
    write_atomic(target, b"new" * 10_000, sync_dir=False)
    assert target.read_bytes() == b"new" * 10_000
    assert sorted(p.name for p in target.parent.iterdir()) == ["state.json"]


@pytest.mark.parametrize("mode", [0o600, 0o644])
def test_mode_is_exact_whatever_the_umask(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "refresh_token"
    target.write_bytes(b"wide open")
    target.chmod(0o666)
    old = os.umask(0o077)
    try:
        write_atomic(target, b"secret", mode=mode)
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == mode


_CHILD = """
import resource, signal, sys
from pathlib import Path
from kiosk.atomic import write_atomic
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
target = Path(sys.argv[1])
try:
    write_atomic(target, b"x" * 100_000)
except OSError as exc:
    print(exc.errno)
"""


def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path: Path) -> None:
    """EFBIG from RLIMIT_FSIZE stands in for a full disk (no root needed)."""
    target = tmp_path / "image"
    target.write_bytes(b"old")
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(target)],
        capture_output=True, text=True, timeout=60, check=False,
        cwd=Path(__file__).resolve().parents[1],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(errno.EFBIG)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["image"]
