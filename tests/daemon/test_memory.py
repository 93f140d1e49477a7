"""glibc's mmap threshold stays pinned, so large image buffers never fragment the heap."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# In a fresh interpreter: free one large block (glibc then raises its threshold past it,
# unless pinned), then allocate a 2 MB one, as a card image decode does, and report
# whether it got its own mapping (mallinfo2's count of mmapped chunks went up).
PROBE = """
import ctypes, sys
from kiosk.daemon.memory import pin_mmap_threshold

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
        "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "pin":
    assert pin_mmap_threshold()
big = bytearray(8 << 20)
del big
before = libc.mallinfo2().hblks
buf = bytearray(2 << 20)
print(libc.mallinfo2().hblks - before)
"""


def _own_mappings(mode: str) -> int:
    res = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60,
                         check=False)
    if "mallinfo2" in res.stderr:
        pytest.skip("not glibc 2.33 or newer (no mallinfo2)")
    assert res.returncode == 0, res.stderr
    return int(res.stdout)


def test_a_large_buffer_keeps_its_own_mapping_after_a_larger_one_was_freed() -> None:
    assert _own_mappings("default") == 0  # glibc's own policy: from the heap
    assert _own_mappings("pin") == 1


# In a fresh interpreter: the kernel's own answer (PR_GET_THP_DISABLE) before and after.
THP_PROBE = """
import ctypes
from kiosk.daemon.memory import no_huge_pages

libc = ctypes.CDLL(None)
before = libc.prctl(42, 0, 0, 0, 0)
print(before, no_huge_pages(), libc.prctl(42, 0, 0, 0, 0))
"""


def test_the_daemon_opts_out_of_transparent_huge_pages() -> None:
    res = subprocess.run([sys.executable, "-c", THP_PROBE], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60,
                         check=True)
    assert res.stdout.split() == ["0", "True", "1"]
