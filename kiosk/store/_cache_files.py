"""The cache's image files: one file per image, named so a lost index can find it again.

A file is written atomically (temp file, fsync, rename) *before* the row that names it
is committed, so the index never points at half a file; its size and CRC-32 are kept
in the row and checked on read (`kiosk.store.files.read_verified`). Names are
`<barcode>.<key>.<8 hex>`: a new name for every write, so a file is never rewritten in
place, and after a damaged index is salvaged a product's files can be named again from
the disk (`kiosk.store.salvage.relink_images`).
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.atomic import write_atomic
from kiosk.store.files import checksum, remove_all

__all__ = ["ImageFiles", "ImageRef"]

ORPHAN_GRACE_S = 600.0
"""Unreferenced files younger than this may belong to another process's open put."""


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

