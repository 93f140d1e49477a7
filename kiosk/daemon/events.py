"""What the main loop's queue carries: plain, immutable values (python-evdev's style).

Every other thread (the scan worker, the drainer, the readers, the API client, signal
handlers) talks to the main thread only by putting one of these on its queue; the main
loop matches on the type. A test builds them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.daemon.drainer import DrainEvent
from kiosk.daemon.present import ScanRecord

__all__ = ["Drained", "Event", "LinkChanged", "Reload", "Scanned", "ScannerChanged", "Stop"]


@dataclass(frozen=True)
class Scanned:
    """A scan's answer from the worker (twice for a card drawn before its photo)."""

    record: ScanRecord


@dataclass(frozen=True)
class Drained:
    """The drainer tried a queued scan."""

    event: DrainEvent


@dataclass(frozen=True)
class ScannerChanged:
    """A reader found or lost its device (each transition once)."""

    source: str
    connected: bool
    detail: str


@dataclass(frozen=True)
class LinkChanged:
    """The API client's requests started or stopped getting answers."""

    online: bool
    reason: str | None = None


@dataclass(frozen=True)
class Reload:
    """SIGHUP: read the configuration again."""


@dataclass(frozen=True)
class Stop:
    """SIGTERM, SIGINT or `Daemon.stop()`: stop in order."""


Event = Scanned | Drained | ScannerChanged | LinkChanged | Reload | Stop
