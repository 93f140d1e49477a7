"""What the daemon knows about itself, and how its network state changes.

`Health` is what the staff status bar, systemd's STATUS= and `kiosk status` say about
the kiosk. Online and offline are what the API client saw on the wire
(`ApiClient.on_link`), never a guess from a scan's outcome: `set_online` says which
transition a change is, so the main loop logs it once and wakes the drainer only when
the network really came back. `StatusPublisher` tells systemd and the status file.

All of it belongs to the main thread (other threads reach it through the main loop's
events), except the status file's writes: `StatusWriter` makes them on a thread of its
own, so a slow disk can never hold up painting or the watchdog.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from kiosk.api import ApiClient
from kiosk.clock import SKEW_WARN_S, describe_span
from kiosk.daemon.power import PowerReading
from kiosk.daemon.systemd import Notifier
from kiosk.display.screens import StatusInfo
from kiosk.errors import StoreError
from kiosk.store import Queue, StatusFile
from kiosk.store.status import StatusSnapshot

__all__ = ["STATUS_WRITE_EVERY_S", "Health", "StatusPublisher", "StatusWriter", "Transition",
           "clock_hint", "status_line"]

logger = logging.getLogger(__name__)

STATUS_WRITE_EVERY_S = 2.0  # the status file, at most this often (an SD card wears)

Transition = Literal["first_answer", "back", "lost"]


@dataclass
class Health:
    """What the staff status bar, STATUS= and `kiosk status` say about the kiosk."""

    online: bool | None = None  # None: not known yet
    queue_depth: int = 0
    credits_remaining: float | None = None
    scanners: dict[str, bool] = field(default_factory=dict)
    last_error: str | None = None
    token_expires_at: float | None = None
    set_aside: int = 0  # queued scans passed over after failing for reasons of their own
    display: str | None = None  # why no screen shows the kiosk ("no display: …"); None: shown
    credits_spent_today: float | None = None  # UTC day, the larger of the kiosk's and API's
    spend_mismatch: float | None = None  # the API's spent-today minus the kiosk's, last check
    # The Pi's own state (kiosk.daemon._pi): None where the machine cannot tell.
    state_durable: bool | None = None
    power: PowerReading | None = None
    # Staff-bar hints by concern ("state", "power"): a problem the staff should pass on.
    notices: dict[str, str] = field(default_factory=dict)
    clock_skew: float | None = None  # the kiosk's clock minus the API's Date, last answer

    @property
    def scanner_ok(self) -> bool:
        return bool(self.scanners) and all(self.scanners.values())

    def snapshot(self, mode: str) -> StatusSnapshot:
        """What the status file keeps for `kiosk status`."""
        return StatusSnapshot(self.online, self.credits_remaining, self.token_expires_at,
                              dict(self.scanners), self.last_error, mode,
                              self.credits_spent_today, self.spend_mismatch,
                              self.clock_skew)

    def status_info(self) -> StatusInfo:
        return StatusInfo(online=bool(self.online), queue_depth=self.queue_depth,
                          credits_remaining=self.credits_remaining,
                          scanner_connected=self.scanner_ok,
                          last_error=self.last_error or next(iter(self.notices.values()), None),
                          set_aside=self.set_aside)

    def refresh(self, api: ApiClient, queue: Queue) -> None:
        """Take what the API client and the queue know now, before it is shown."""
        self.credits_remaining = api.state.credits_remaining
        if api.spend is not None:
            self.credits_spent_today = api.spend.spent_today()
            self.spend_mismatch = api.spend.mismatch
        self.token_expires_at = api.auth.expires_at
        self.clock_skew = api.clock_skew
        self.last_error = ("API key refused: replace the key file"
                           if api.auth.credentials_refused
                           else clock_hint(self.clock_skew) or api.state.last_error)
        try:
            stats = queue.stats()
        except StoreError as exc:
            logger.debug("queue depth unknown: %s", exc)
            return
        self.queue_depth, self.set_aside = stats.depth, stats.set_aside

    def set_online(self, online: bool) -> Transition | None:
        """Record what the API client saw; the transition, or None when nothing changed.

        "first_answer": the first answer since start; "back": answers again after being
        lost (the drainer's back-off is cut short); "lost": no answer any more.
        """
        before, self.online = self.online, online
        if before is online:
            return None
        if not online:
            return "lost"
        return "back" if before is False else "first_answer"


def clock_hint(skew: float | None) -> str | None:
    """The staff bar's words for a clock over five minutes off the API's, or None.

    Shown before any other API error: a wrong clock is what breaks TLS, so it is the
    cause to fix first."""
    if skew is None or abs(skew) <= SKEW_WARN_S:
        return None
    return (f"clock {describe_span(skew)} {'ahead' if skew > 0 else 'behind'}: "
            "set up NTP (install-pi --ntp-server)")


def status_line(h: Health) -> str:
    """The one human line for systemd's STATUS=, e.g. 'online · queue 0 · 412.4 credits'."""
    net = {True: "online", False: "offline", None: "starting"}[h.online]
    credits = "credits ?"
    if h.credits_remaining is not None:
        credits = f"{h.credits_remaining:.1f} credits"
    if not h.scanners:
        scanner = "no scanner"
    elif h.scanner_ok:
        scanner = "scanner ok"
    else:
        scanner = "scanner missing"
    parts = [net, f"queue {h.queue_depth}", credits, scanner]
    if h.display:
        parts.append(h.display)
    if h.set_aside:
        parts.append(f"{h.set_aside} set aside")
    if h.last_error:
        parts.append(h.last_error)
    parts.extend(h.notices.values())
    return " · ".join(parts)


class StatusWriter:
    """Writes the newest snapshot to the status file on a thread of its own.

    `offer` only swaps one reference and notifies: the main thread never waits for the
    disk. Snapshots offered while a write is under way are coalesced; the newest wins.
    """

    def __init__(self, status_file: StatusFile) -> None:
        self.file = status_file
        self._next: StatusSnapshot | None = None
        self._stopping = False
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="kiosk-status", daemon=True)
        self._thread.start()

    def offer(self, snap: StatusSnapshot) -> None:
        with self._wake:
            self._next = snap
            self._wake.notify()

    def request_stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()

    def join(self, deadline: float) -> bool:
        """Wait for the thread until `deadline` (monotonic); True when it ended."""
        if self._thread is None:
            return True
        self._thread.join(max(0.0, deadline - time.monotonic()))
        return not self._thread.is_alive()

    def _run(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._next is not None or self._stopping)
                if self._stopping:
                    return  # the file goes with the daemon
                snap, self._next = self._next, None
            assert snap is not None
            try:
                self.file.write(snap)
            except OSError as exc:
                logger.debug("status file not written: %s", exc)


class StatusPublisher:
    """Tells systemd (STATUS=) and the status file (`kiosk status`) what `Health` says:
    soon after a change, but the file at most every STATUS_WRITE_EVERY_S. `write` takes
    the snapshot: a `StatusWriter`'s `offer` in the daemon, a `StatusFile`'s `write` in
    a test."""

    def __init__(self, health: Health, notifier: Notifier,
                 write: Callable[[StatusSnapshot], object],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._health = health
        self._notifier = notifier
        self._write = write
        self._clock = clock
        self.due: float | None = 0.0  # when to publish next (None: nothing to say)
        self._written = float("-inf")

    def schedule(self) -> None:
        """Something changed: publish soon (a burst of changes is one write)."""
        if self.due is None:
            self.due = max(self._clock() + 0.2, self._written + STATUS_WRITE_EVERY_S)

    def publish(self, mode: str) -> None:
        """Publish now (the caller refreshed `Health` first)."""
        self.due = None
        self._written = self._clock()
        self._notifier.status(status_line(self._health))
        try:
            self._write(self._health.snapshot(mode))
        except OSError as exc:
            logger.debug("status file not written: %s", exc)
