"""What the screen should show: plain values the daemon builds, one class per screen.

These are deliberately free of pygame so the daemon, the store and the tests can build
them anywhere; `kiosk.display.layout` turns one into positioned draw commands and the
painter puts those on the glass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from kiosk.outcome import Outcome
from kiosk.product import Product

__all__ = [
    "Card",
    "Error",
    "Idle",
    "Invalid",
    "Mode",
    "NotFound",
    "Offline",
    "OutOfCredits",
    "RecentScan",
    "ScannerDisconnected",
    "ScannerPosition",
    "ScreenState",
    "StatusInfo",
]

Mode = Literal["shopper", "staff"]
ScannerPosition = Literal["below", "above", "left", "right"]


@dataclass(frozen=True)
class Idle:
    """The attract screen: store name or logo and an arrow toward the scanner."""

    store_name: str = "Welcome"
    logo: Path | None = None
    scanner_position: ScannerPosition = "below"


@dataclass(frozen=True)
class Card:
    """A product card.

    `image` is display-ready bytes from `prepare_image` (or None: a placeholder is drawn).
    `photo_pending`: the photo is still downloading, so its place is an empty panel
    rather than "no photo"; the photo later fills exactly that box and nothing else on
    the card moves. `from_cache` with `offline` shows the "offline, saved copy" banner;
    `stale` marks a cached copy older than the TTL. Credits are what the lookup cost and
    what is left, for staff; None when unknown (e.g. served from cache).
    """

    product: Product
    image: bytes | None = None
    from_cache: bool = False
    stale: bool = False
    offline: bool = False
    credits_debited: float | None = None
    credits_remaining: float | None = None
    mode: Mode | None = None
    photo_pending: bool = False


@dataclass(frozen=True)
class NotFound:
    barcode: str


@dataclass(frozen=True)
class Invalid:
    """A scan that is not a valid barcode; no lookup was made, so nothing was charged."""

    raw: str
    reason: str = ""


@dataclass(frozen=True)
class Offline:
    """The network is down and the product is not cached."""

    barcode: str
    saved: bool = True


@dataclass(frozen=True)
class OutOfCredits:
    balance: float | None = None


@dataclass(frozen=True)
class ScannerDisconnected:
    device: str | None = None


@dataclass(frozen=True)
class Error:
    message: str


ScreenState = (
    Idle | Card | NotFound | Invalid | Offline | OutOfCredits | ScannerDisconnected | Error
)


@dataclass(frozen=True)
class StatusInfo:
    """The staff status bar: health of the kiosk at a glance."""

    online: bool = True
    queue_depth: int = 0
    credits_remaining: float | None = None
    scanner_connected: bool = True
    last_error: str | None = None
    set_aside: int = 0


@dataclass(frozen=True)
class RecentScan:
    """One line of the staff recent-scans list. `resolved`: a queued scan the drainer
    looked up later, listed as such whatever its outcome."""

    barcode: str
    outcome: Outcome
    name: str | None = None
    at: str | None = field(default=None)  # already formatted, e.g. "14:03"
    resolved: bool = False

    @property
    def chip(self) -> str:
        """The chip's kind: the outcome's word, or "resolved"."""
        return "resolved" if self.resolved else self.outcome.value
