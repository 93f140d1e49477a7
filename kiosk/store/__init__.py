"""The kiosk's memory: a durable offline queue and a product/image cache.

`Store.open` (or `Store.from_config`) once in the daemon; `Drainer` resolves the
queue in the background when the API answers. See the modules for the why:
`db` (SQLite, recovery), `queue`, `cache`, `files` (verified reads of the image files), `drain`.

The drainer's names are re-exported lazily: `kiosk.store.drain` needs the API's
exception classes, and importing `kiosk.api` pulls in httpx, which `kiosk status`
and the crash-test child (started 200 times) do not need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

__all__ = [
    "ORIGINAL",
    "Cache",
    "CacheHit",
    "CacheStats",
    "CacheWriteError",
    "CachedMiss",
    "DrainEvent",
    "Drainer",
    "Queue",
    "QueueStats",
    "QueuedItem",
    "Resolution",
    "ScanNotSaved",
    "Store",
    "StoreBusy",
    "StoreCorrupt",
    "StoreError",
    "StoreStats",
    "StoreWriteError",
]

if TYPE_CHECKING:
    from kiosk.store.drain import Drainer, DrainEvent, Resolution

_LAZY = {"DrainEvent", "Drainer", "Resolution"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from kiosk.store import drain

        return getattr(drain, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
