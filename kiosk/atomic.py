"""Atomic, durable file replacement: temp file, fsync, rename, fsync the directory.

On an SD card that can lose power at any instant, a file is either the old version or
the new one, never half of each. Used for the refresh token (kiosk.api.tokens) and the
cached image files (kiosk.store.cache).
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

__all__ = ["fsync_dir", "remove_file", "write_atomic"]

logger = logging.getLogger(__name__)


def fsync_dir(directory: Path) -> None:
    """Make a rename or unlink in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644, sync_dir: bool = True) -> None:
    """Replace `path` with `data` so that a crash leaves either the old file or the new one.

    The file gets exactly `mode` (0600 for a secret): the umask cannot narrow it and the
    temporary file is always new (random name, O_EXCL), so nothing left over can widen
    it, and two threads writing the same path never share one. `sync_dir=False` leaves
    the rename's durability to the caller, who fsyncs the directory once after writing
    several files (the cache does, before committing the rows that name them).

    Raises OSError (ENOSPC, EROFS, EFBIG, ...) with the temporary file removed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        try:
            os.fchmod(fd, mode)  # O_CREAT's mode was filtered by the umask
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        # Best effort: the write already failed, and that error is the one to raise.
        remove_file(tmp, "temporary file")
        raise
    if sync_dir:
        fsync_dir(path.parent)


def remove_file(path: Path, what: str) -> None:
    """Remove `path` if it is there; a failure is one warning naming `what`, not an error
    (callers remove files on the way out, where raising would hide the real outcome)."""
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        logger.warning("could not remove %s %s: %s", what, path, exc.strerror)
