"""A damaged database file moved aside, for inspection, before a new one replaces it.

The file (and its WAL, whose pages are part of it) becomes `<name>.corrupt-<timestamp>`;
the stale -shm goes. Salvage reads the moved copy (`kiosk.store.salvage`); only the
newest copies are kept (`prune_copies`), so a card that keeps failing does not fill up.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from kiosk.atomic import fsync_dir
from kiosk.store.files import unlink_quietly
from kiosk.store.salvage import prune_copies

__all__ = ["move_aside"]

logger = logging.getLogger(__name__)


def move_aside(path: Path, reason: str, what: str) -> Path | None:
    """Move the damaged `path` aside; where to, or None (logged) when it could not be.

    `what` names the consequence of losing the file, for the journal line."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    dest = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while dest.exists():
        n += 1
        dest = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        os.replace(path, dest)
        wal = path.with_name(path.name + "-wal")
        if wal.exists():
            os.replace(wal, dest.with_name(dest.name + "-wal"))
        unlink_quietly(path.with_name(path.name + "-shm"))
        fsync_dir(path.parent)
    except OSError as exc:
        logger.error(
            "%s is damaged (%s) and could not be moved aside (%s); %s is unavailable "
            "until it is removed by hand",
            path, reason, exc.strerror, what,
        )
        return None
    prune_copies(path)
    return dest
