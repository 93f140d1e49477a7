"""What one scan came to: the one value from the lookup to the screen, the journal and the
metrics.

`Lookups` makes it (from the cache, the API's answer or the queue), and so does the
scan worker for a scan that is never looked up (an invalid frame, a double read, the
kiosk's own failure); the worker stamps it with the scan's reader, time and place in
scan order (`of_scan`). The main loop then paints it, lists it for staff, journals it
and counts it as it is: no hop copies its outcome, barcode or reason into a type of its
own. The drainer's lookups of queued scans come to one too. (`kiosk.api.LookupResult`
is the API client's own answer, before the cache and the queue have had their say.)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from kiosk.api.errors import ApiError
from kiosk.outcome import Outcome
from kiosk.prices import PriceEntry
from kiosk.product import Product
from kiosk.scanner import Scan

__all__ = ["ScanResult"]

_NOT_LOOKED_UP = frozenset({Outcome.INVALID, Outcome.DUPLICATE})


@dataclass(frozen=True)
class ScanResult:
    """What one scan came to. `image` is display-ready when `Lookups` had a `prepare`."""

    outcome: Outcome
    barcode: str  # normalized; the printable raw text for an invalid scan
    product: Product | None = None
    image: bytes | None = None
    stale: bool = False
    from_cache: bool = False
    credits: float = 0.0
    request_id: str | None = None
    reason: str | None = None  # why invalid, queued, not found, an error, a stale copy
    error_code: str | None = None
    saved: bool = True  # for "queued": False when the disk refused and it is held in memory
    error: ApiError | None = None
    photo_pending: bool = False  # the product data is in, its photo is still downloading
    # Stamped by the scan worker (`of_scan`):
    price: PriceEntry | None = None  # the store's price file's entry; None: not in it
    source: str = ""  # the reader it came from
    t_last: float = 0.0  # monotonic time of the scan's last byte or key
    seq: int = 0  # scan order; a result older than the card on screen is not drawn

    def of_scan(self, scan: Scan, seq: int, price: PriceEntry | None = None) -> ScanResult:
        """This result as `scan`'s, the `seq`-th scan, with its barcode's `price`."""
        return replace(self, source=scan.source, t_last=scan.t_last, seq=seq, price=price)

    @property
    def news(self) -> bool:
        """The API was asked or the scan queued: what the kiosk says about itself (the
        credits left, the queue's depth) may have changed."""
        return (not self.from_cache and self.outcome not in _NOT_LOOKED_UP
                and not self.internal)

    @property
    def internal(self) -> bool:
        """The kiosk's own failure (a bug, logged with its traceback where it happened),
        not an answer: nothing to show."""
        return self.outcome is Outcome.ERROR and self.error is None
