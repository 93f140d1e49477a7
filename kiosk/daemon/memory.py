"""Memory hygiene for a process that runs for months on a Pi with 1 GB or less.

Transparent huge pages: where the kernel has them `always` on (Debian's kernels do), its
khugepaged thread turns any 2 MB stretch of anonymous memory that has a page in use into
a whole huge page, in the background, a few MB a second. The GL stack on the KMS/DRM
screen (Mesa) reserves large regions and touches little of them, so a kiosk that did
nothing at all grew from 110 MB to the unit's MemoryMax of 256 MB in about two minutes
and was killed there (found by the system test: `AnonHugePages` in smaps grew by exactly
what the process did). The kiosk gains nothing from huge pages; it opts out for itself.

glibc serves a large allocation from its own mapping, returned to the system when freed,
but each time such a block is freed it raises that size threshold (up to 32 MB). After
the first card image, every later decode and scale buffer (1-4 MB) comes from the heap
instead, and the heap stays fragmented and resident: about 5 MB after a few hundred
scans. Pinning the threshold (which also stops the adjustment) keeps those buffers in
their own mappings.
"""

from __future__ import annotations

import ctypes
import logging

__all__ = ["MMAP_THRESHOLD", "no_huge_pages", "pin_mmap_threshold"]

logger = logging.getLogger(__name__)

MMAP_THRESHOLD = 128 * 1024  # glibc's initial value
_M_MMAP_THRESHOLD = -3  # malloc.h
_PR_SET_THP_DISABLE = 41  # linux/prctl.h, since Linux 3.15


def pin_mmap_threshold(nbytes: int = MMAP_THRESHOLD) -> bool:
    """Pin glibc's mmap threshold at `nbytes`; False where the C library has no mallopt."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    done = bool(mallopt(_M_MMAP_THRESHOLD, nbytes))
    if not done:
        logger.debug("mallopt(M_MMAP_THRESHOLD) refused; the C library keeps its own policy")
    return done


def no_huge_pages() -> bool:
    """Opt this process (and what it starts) out of transparent huge pages; False where
    the kernel refuses (not Linux, or older than 3.15)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return False
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                      ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    if prctl(_PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0:
        logger.debug("prctl(PR_SET_THP_DISABLE) refused: errno %d", ctypes.get_errno())
        return False
    return True
