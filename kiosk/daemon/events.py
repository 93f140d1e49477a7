"""What the main loop's queue carries: plain, immutable values (python-evdev's style).

Every other thread (the scan worker, the drainer, the readers, the API client, signal
handlers) talks to the main thread only by putting one of these on its queue; the main
loop matches on the type. A test builds them by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.daemon.drainer import DrainEvent

__all__ = ["Drained", "Event", "LinkChanged", "Reload", "ScannerChanged", "ScansReady",
           "Stop"]


@dataclass(frozen=True)
class ScansReady:
    """The scan worker's outbox (`kiosk.daemon.outbox`) has results (`ScanResult`s, twice
    for a card drawn before its photo): one of these at a time, however many results, so
    a flood of scans cannot grow the main loop's queue."""


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


Event = ScansReady | Drained | ScannerChanged | LinkChanged | Reload | Stop
