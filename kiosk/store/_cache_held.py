"""The cache's in-memory fallback: what the disk refused, still shown on the next scan.

When a write to the cache fails (a full or read-only card), the product is kept here
so a shopper who scans it again still sees it, and a refused miss is remembered so the
API is not asked again at once. Bounded (the oldest held product goes first); a later
successful write of the same barcode replaces the held copy.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from kiosk.product import Product

__all__ = ["Held", "HeldProducts"]


@dataclass
class Held:
    """A product the disk refused, kept so the next scan still shows it."""

    product: Product
    fetched_at: float
    credits: float
    images: dict[str, bytes]


class HeldProducts:
    """Held products (at most `entries`) and misses, by barcode (thread-safe)."""

    def __init__(self, entries: int) -> None:
        self._entries = entries
        self._lock = threading.Lock()
        self._products: OrderedDict[str, Held] = OrderedDict()
        self._misses: dict[str, float] = {}

    def get(self, barcode: str) -> tuple[Held | None, float | None]:
        """(the held product, when a held miss was noted), either None."""
        with self._lock:
            return self._products.get(barcode), self._misses.get(barcode)

    def hold(self, barcode: str, held: Held) -> None:
        with self._lock:
            self._products[barcode] = held
            self._products.move_to_end(barcode)
            while len(self._products) > self._entries:
                self._products.popitem(last=False)

    def hold_miss(self, barcode: str, now: float) -> None:
        with self._lock:
            self._products.pop(barcode, None)
            self._misses[barcode] = now

    def add_image(self, barcode: str, key: str, data: bytes) -> bool:
        """Add a display image to a held product; False when none is held."""
        with self._lock:
            held = self._products.get(barcode)
            if held is None:
                return False
            held.images[key] = data
            return True

    def forget(self, barcode: str) -> None:
        """The disk has it now (or a miss replaced it)."""
        with self._lock:
            self._products.pop(barcode, None)
            self._misses.pop(barcode, None)

    def shift(self, step: float, upto: float) -> None:
        """Move the held times up to `upto` forward by `step`, as the files' stamps
        (`kiosk.store.Store.follow_clock`)."""
        with self._lock:
            for held in self._products.values():
                if held.fetched_at <= upto:
                    held.fetched_at += step
            for barcode, at in self._misses.items():
                if at <= upto:
                    self._misses[barcode] = at + step

    def __len__(self) -> int:
        with self._lock:
            return len(self._products)
