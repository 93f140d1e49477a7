"""Verified reads and best-effort removal of the cache's image files.

A power cut can interrupt a write at any byte, so the files are written with
`kiosk.atomic.write_atomic` (temp file, fsync, rename, fsync the directory): a reader
sees either nothing or the whole file, never half of one. The database only ever names
a file after its rename has been made durable, and stores its size and CRC-32 so that a
file damaged later (an SD card going bad) is refused on read instead of being drawn as
garbage.
"""

from __future__ import annotations

import logging
import zlib
from pathlib import Path

__all__ = ["checksum", "read_verified", "remove_all", "unlink_quietly"]

logger = logging.getLogger(__name__)


def checksum(data: bytes) -> int:
    """CRC-32: cheap enough for the UI thread (a 200 kB image in ~50 µs)."""
    return zlib.crc32(data) & 0xFFFFFFFF


def read_verified(path: Path, size: int, crc: int) -> bytes | None:
    """The file's bytes if they still match `size` and `crc`; None (and a log line) if not."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        logger.warning("cached file %s is missing; the card is shown without it", path)
        return None
    except OSError as exc:
        logger.warning("cached file %s cannot be read (%s); shown without it", path, exc.strerror)
        return None
    if len(data) != size or checksum(data) != crc:
        logger.warning(
            "cached file %s is damaged (%d bytes, expected %d, or checksum differs); ignored",
            path, len(data), size,
        )
        return None
    return data


def unlink_quietly(path: Path) -> bool:
    """Remove `path` if it exists; log (not raise) anything but "already gone"."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        logger.warning("could not remove %s: %s", path, exc.strerror)
        return False
    return True


def remove_all(paths: list[Path]) -> int:
    """Unlink each path (best effort); the count actually removed."""
    removed = 0
    for p in paths:
        if unlink_quietly(p):
            removed += 1
    return removed
