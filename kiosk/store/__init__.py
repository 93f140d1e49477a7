"""The kiosk's memory: a durable offline queue, a product/image cache, the status file.

`Store.open` (or `Store.from_config`) once in the daemon; the daemon's drainer
(`kiosk.daemon.drainer`) resolves the queue in the background when the API answers.
See the modules for the why: `db` (SQLite, recovery), `queue`, `cache`, `files`
(verified reads of the image files), `status` (what `kiosk status` reads of a running
daemon); their parts are private modules (`_sqlite`, `_migrate`, `_damaged` under `db`;
`_cache_index`, `_cache_files`, `_cache_held`, `_cache_lru` under `cache`;
`_salvage_tables` under `salvage`), which no other package of kiosk imports.

Nothing here imports `kiosk.api`: `kiosk status` and the crash-test child (started 200
times) read the store without httpx.
"""

from __future__ import annotations

from kiosk.store.cache import ORIGINAL, Cache, CachedMiss, CacheHit, CacheStats
from kiosk.store.errors import (
    CacheWriteError,
    ScanNotSaved,
    StoreBusy,
    StoreCorrupt,
    StoreError,
    StoreWriteError,
)
from kiosk.store.facade import Store, StoreStats
from kiosk.store.queue import Queue, QueuedItem, QueueStats
from kiosk.store.status import StatusFile, StatusSnapshot

__all__ = [
    "ORIGINAL",
    "Cache",
    "CacheHit",
    "CacheStats",
    "CacheWriteError",
    "CachedMiss",
    "Queue",
    "QueueStats",
    "QueuedItem",
    "ScanNotSaved",
    "StatusFile",
    "StatusSnapshot",
    "Store",
    "StoreBusy",
    "StoreCorrupt",
    "StoreError",
    "StoreStats",
    "StoreWriteError",
]
