"""Atomic file writes and verified reads for cached images.

A power cut can interrupt a write at any byte. Writing to a temporary file in the same
directory, fsyncing it, renaming it over the final name and fsyncing the directory
means a reader sees either nothing or the whole file, never half of one. The database
only ever names a file after its rename has been made durable, and stores its size
and CRC-32 so that a file damaged later (an SD card going bad) is refused on read
instead of being drawn as garbage.
"""

from __future__ import annotations

import logging
import os
import secrets
import zlib
from pathlib import Path

__all__ = [
    "TMP_PREFIX",
    "atomic_write",
    "checksum",
    "fsync_dir",
    "read_verified",
    "remove_all",
    "unlink_quietly",
]

logger = logging.getLogger(__name__)

TMP_PREFIX = ".tmp-"


def checksum(data: bytes) -> int:
    """CRC-32: cheap enough for the UI thread (a 200 kB image in ~50 µs)."""
    return zlib.crc32(data) & 0xFFFFFFFF


def fsync_dir(directory: Path) -> None:
    """Make a rename or unlink in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, sync_dir: bool = True) -> None:
    """Write `data` to `path` so that a crash leaves either the old file or the new one.

    Raises OSError (ENOSPC, EROFS, EFBIG, ...) with the temporary file removed.
    """
    tmp = path.with_name(f"{TMP_PREFIX}{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        unlink_quietly(tmp)
        raise
    if sync_dir:
        fsync_dir(path.parent)


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
