"""Memory hygiene for a process that runs for months on a Pi with 1 GB or less.

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

__all__ = ["MMAP_THRESHOLD", "pin_mmap_threshold"]

logger = logging.getLogger(__name__)

MMAP_THRESHOLD = 128 * 1024  # glibc's initial value
_M_MMAP_THRESHOLD = -3  # malloc.h


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
