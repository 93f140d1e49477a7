"""A damaged database file moved aside, for inspection, before a new one replaces it.

The file (and its WAL, whose pages are part of it) becomes `<name>.corrupt-<timestamp>`;
the stale -shm goes. Salvage reads the moved copy (`kiosk.store.salvage`); only the
newest copies are kept (`prune_copies`), so a card that keeps failing does not fill up.
"""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path

from kiosk.atomic import fsync_dir
from kiosk.store.files import unlink_quietly

__all__ = ["CORRUPT_KEEP", "CORRUPT_MAX_BYTES", "move_aside", "prune_copies"]

logger = logging.getLogger(__name__)

CORRUPT_KEEP = 2
"""Moved-aside copies kept per database (the newest), for inspection."""
CORRUPT_MAX_BYTES = 64 * 1024 * 1024
"""Older copies are removed sooner if together they pass this; the newest is always kept."""


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


_STAMP = re.compile(r"\.corrupt-(\d{8}-\d{6})(?:-(\d+))?")


def prune_copies(path: Path, *, keep: int = CORRUPT_KEEP,
                 max_bytes: int = CORRUPT_MAX_BYTES) -> int:
    """Remove all but the newest `keep` `<name>.corrupt-*` copies of `path` (with their
    -wal and -shm), fewer if together they pass `max_bytes`; the newest always stays.
    One journal line when something was removed; how many copies were."""
    prefix = path.name + ".corrupt-"
    try:
        names = [n for n in os.listdir(path.parent)
                 if n.startswith(prefix) and not n.endswith(("-wal", "-shm"))]
    except OSError:
        return 0

    def order(name: str) -> tuple[str, int]:
        match = _STAMP.fullmatch(name[len(path.name):])
        return ("", 0) if match is None else (match.group(1), int(match.group(2) or 1))

    total = removed = freed = 0
    for i, name in enumerate(sorted(names, key=order, reverse=True)):
        files = [path.with_name(name + suffix) for suffix in ("", "-wal", "-shm")]
        size = sum(_size(f) for f in files)
        if i == 0 or (i < keep and total + size <= max_bytes):
            total += size
            continue
        if unlink_quietly(files[0]):
            removed += 1
            freed += size
        for extra in files[1:]:
            unlink_quietly(extra)
    if removed:
        logger.warning("removed %d older damaged %s of %s (%d bytes); %d (%d bytes) kept "
                       "for inspection", removed, "copy" if removed == 1 else "copies",
                       path.name, freed, len(names) - removed, total)
    return removed


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
