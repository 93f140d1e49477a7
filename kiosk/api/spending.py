"""The spending guard: at most `api.max_credits_per_hour` and `_per_day` on lookups.

Every valid GTIN costs a lookup, so someone cycling random EANs on a phone in front of
the scanner would drain the balance as fast as the API's rate limit allows. The guard
counts what lookups cost over a sliding hour and day; once either limit is reached,
`check` raises `SpendLimited` before anything is sent: the scan is queued
(`REASON=spend_limit`), the staff bar says why, and the drainer waits until enough of
the window has passed. Cached cards are free and keep showing.

The spending survives restarts (a crash loop must not reset it): `Ledger` is where
it is kept, the queue's database in the daemon (`kiosk.store.spending`). A ledger that
cannot be written is logged once and the guard goes on from memory.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from kiosk.api.errors import SpendLimited
from kiosk.errors import StoreError

__all__ = ["HOUR", "Ledger", "SpendGuard"]

logger = logging.getLogger(__name__)

HOUR, DAY = 3600.0, 86400.0


class Ledger(Protocol):
    """Where spending is kept: (time.time(), credits) pairs."""

    def record(self, at: float, credits: float) -> None: ...

    def since(self, at: float) -> list[tuple[float, float]]: ...


class SpendGuard:
    """Thread-safe. A limit of 0 means no limit."""

    def __init__(self, per_hour: float, per_day: float, ledger: Ledger | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.per_hour = per_hour
        self.per_day = per_day
        self._ledger = ledger
        self._clock = clock
        self._lock = threading.Lock()
        self._limited = False
        self._ledger_warned = False
        now = clock()
        entries: list[tuple[float, float]] = []
        if ledger is not None:
            try:
                entries = ledger.since(now - DAY)
            except StoreError as exc:
                logger.warning("spending of the last day unreadable (%s); counting from now",
                               exc)
        # A clock set back makes old entries look recent; one from the future is "now".
        self._spent: deque[tuple[float, float]] = deque(
            sorted((min(at, now), c) for at, c in entries))

    @property
    def limited(self) -> bool:
        """True while the limit holds new lookups back (for the metrics)."""
        return self._limited

    def check(self) -> None:
        """Raise `SpendLimited` when a limit is reached; say so once when it starts."""
        now = self._clock()
        with self._lock:
            self._forget(now)
            over = self._over(now)
            started = over is not None and not self._limited
            ended = over is None and self._limited
            self._limited = over is not None
        if ended:
            logger.warning("spending limit no longer reached: new scans are looked up again")
        if over is None:
            return
        what, wait = over
        error = SpendLimited(f"spending limit reached: {what}; new scans are saved and looked "
                             f"up in {wait / 60:.0f} min", retry_after=wait, code="spend_limit")
        if started:
            logger.warning("%s", error)
        raise error

    def spent(self, credits: float) -> None:
        if credits <= 0:
            return
        now = self._clock()
        with self._lock:
            self._spent.append((now, credits))
        if self._ledger is None:
            return
        try:
            self._ledger.record(now, credits)
        except StoreError as exc:
            if not self._ledger_warned:
                logger.warning("spending could not be written down (%s); it is counted in "
                               "memory until the kiosk restarts", exc)
            self._ledger_warned = True

    def spent_within(self, seconds: float) -> float:
        now = self._clock()
        with self._lock:
            return round(sum(c for at, c in self._spent if at > now - seconds), 6)

    # --- under the lock ---------------------------------------------------------------

    def _forget(self, now: float) -> None:
        while self._spent and self._spent[0][0] <= now - DAY:
            self._spent.popleft()

    def _over(self, now: float) -> tuple[str, float] | None:
        for limit, window, key in ((self.per_hour, HOUR, "max_credits_per_hour"),
                                   (self.per_day, DAY, "max_credits_per_day")):
            if limit <= 0:
                continue
            inside = [(at, c) for at, c in self._spent if at > now - window]
            total = sum(c for _, c in inside)
            if total < limit:
                continue
            # The window frees enough once the oldest entries, in order, leave it.
            for at, credits in inside:
                total -= credits
                if total < limit:
                    return (f"{sum(c for _, c in inside):.1f} credits in the last "
                            f"{'hour' if window == HOUR else 'day'} (api.{key} = {limit:g})",
                            max(1.0, at + window - now))
        return None
