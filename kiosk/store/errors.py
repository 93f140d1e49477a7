"""Errors of the store layer, all under `kiosk.errors.StoreError`::

    StoreError
    ├── StoreBusy            another process held the database past busy_timeout
    ├── StoreCorrupt         a read-only open met a damaged file (writable opens recover)
    └── StoreWriteError      the disk refused a write: full, read-only or an I/O error
        ├── ScanNotSaved     enqueue could not commit; the scan is held in memory
        └── CacheWriteError  a product or image could not be cached; kept in memory

A corrupt database met by a writable store is never raised: it is moved aside and
replaced (see `kiosk.store.db`), because a kiosk that refuses to start is worse than
one that forgot its cache.
"""

from __future__ import annotations

from typing import Literal

from kiosk.errors import StoreError

__all__ = [
    "CacheWriteError",
    "ScanNotSaved",
    "StoreBusy",
    "StoreCorrupt",
    "StoreError",
    "StoreWriteError",
    "WriteFailure",
]

WriteFailure = Literal["full", "readonly", "io"]


class StoreBusy(StoreError):
    """The database stayed locked by another process longer than busy_timeout."""


class StoreCorrupt(StoreError):
    """The database file is damaged and this (read-only) store may not repair it."""


class StoreWriteError(StoreError):
    """The disk refused a write. `kind` says why: "full", "readonly" or "io"."""

    def __init__(self, message: str, *, kind: WriteFailure) -> None:
        super().__init__(message)
        self.kind: WriteFailure = kind


class ScanNotSaved(StoreWriteError):
    """The scan could not be committed to disk.

    It is held in an in-memory queue (`held_in_memory`) and written out as soon as a
    write succeeds again; it is lost only if the daemon stops before that. The screen
    should say "could not save" rather than "saved".
    """

    def __init__(self, message: str, *, kind: WriteFailure, barcode: str) -> None:
        super().__init__(message, kind=kind)
        self.barcode = barcode
        self.held_in_memory = True


class CacheWriteError(StoreWriteError):
    """A product, miss or image could not be cached; the product is kept in memory."""
