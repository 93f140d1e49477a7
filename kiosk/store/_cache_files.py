"""The cache's image files: one file per image, named so a lost index can find it again.

A file is written atomically (temp file, fsync, rename) *before* the row that names it
is committed, so the index never points at half a file; its size and CRC-32 are kept
in the row and checked on read (`kiosk.store.files.read_verified`). Names are
`<barcode>.<key>.<8 hex>`: a new name for every write, so a file is never rewritten in
place, and after a damaged index is salvaged a product's files can be named again from
the disk (`relink_images`).
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.atomic import write_atomic
from kiosk.store._cache_index import add_image, update_bytes
from kiosk.store.files import checksum, remove_all

__all__ = ["ImageFiles", "ImageRef", "relink_images"]

logger = logging.getLogger(__name__)

ORPHAN_GRACE_S = 600.0
"""Unreferenced files younger than this may belong to another process's open put."""

_IMAGE_FILE = re.compile(r"([0-9A-Za-z]{1,64})\.([0-9A-Za-z][0-9A-Za-z_.-]{0,63})\.[0-9a-f]{8}")
"""`ImageFiles.write`'s names: `<barcode>.<key>.<8 hex>` (temp files start with a dot)."""


@dataclass(frozen=True)
class ImageRef:
    path: Path
    size: int
    crc: int

    @property
    def row(self) -> tuple[str, int, int]:
        """(file name, size, CRC-32) as the index keeps them."""
        return self.path.name, self.size, self.crc


class ImageFiles:
    """The image files in `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def ref(self, name: str, size: int, crc: int) -> ImageRef:
        return ImageRef(self.directory / name, size, crc)

    def path(self, name: str) -> Path:
        return self.directory / name

    def write(self, barcode: str, key: str, data: bytes, written: list[Path]) -> ImageRef:
        """A new file with `data` (not yet fsynced in its directory); noted in `written`."""
        path = self.directory / f"{barcode}.{key}.{secrets.token_hex(4)}"
        write_atomic(path, data, sync_dir=False)
        written.append(path)
        return ImageRef(path, len(data), checksum(data))

    def sweep(self, referenced: Callable[[], set[str]]) -> int:
        """Remove temp files and files the index does not name (`referenced()`, read
        once the directory is listed), older than a grace period (another process may be
        in the middle of a put); how many."""
        try:
            names = os.listdir(self.directory)
        except FileNotFoundError:
            return 0
        named = referenced()
        cutoff = time.time() - ORPHAN_GRACE_S
        doomed = []
        for name in names:
            if name in named:
                continue
            path = self.directory / name
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    doomed.append(path)
            except OSError:
                continue
        return remove_all(doomed)


def relink_images(conn: sqlite3.Connection, directory: Path) -> str | None:
    """Give salvaged products back the image files whose rows were lost; a phrase or None.

    Runs in the salvage transaction of the cache's file (`kiosk.store.salvage` copies
    the rows; the product data itself is only in the database). For each (barcode, key)
    with a product row but no image row, the newest matching file is named again (size
    and CRC-32 from the file itself); the product's byte count is brought up to date.
    """
    try:
        names = os.listdir(directory)
    except OSError:
        return None
    products = {r[0] for r in conn.execute("SELECT barcode FROM products")}
    linked = {(r[0], r[1]) for r in conn.execute("SELECT barcode, key FROM images")}
    newest: dict[tuple[str, str], tuple[float, Path]] = {}
    for name in names:
        match = _IMAGE_FILE.fullmatch(name)
        if match is None or match.group(1) not in products or match.groups() in linked:
            continue
        path = directory / name
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        pair = (match.group(1), match.group(2))
        if pair not in newest or mtime > newest[pair][0]:
            newest[pair] = (mtime, path)
    count = 0
    for (barcode, key), (_mtime, path) in newest.items():
        try:
            data = path.read_bytes()
        except OSError as exc:
            logger.debug("cache file %s unreadable: %s", path, exc.strerror)
            continue
        add_image(conn, barcode, key, (path.name, len(data), checksum(data)))
        update_bytes(conn, barcode)
        count += 1
    return f"{count} image file(s) named again from the disk" if count else None
