"""The spending guard: at most `api.max_credits_per_hour` and `_per_day` on lookups.

Every valid GTIN costs a lookup, so someone cycling random EANs on a phone in front of
the scanner would drain the balance as fast as the API's rate limit allows. The guard
counts what lookups cost over a sliding hour and day; once either limit is reached,
`check` raises `SpendLimited` before anything is sent: the scan is queued
(`REASON=spend_limit`), the staff bar says why, and the drainer waits until enough of
the window has passed. Cached cards are free and keep showing.

Check and record are one step: `reserve(price)` counts a lookup's price before its
request is sent, under the same lock that checks the window, and only when that price
still fits (a cap of 3 credits an hour lets two 1.3-credit lookups through, not three);
`settle` replaces the reservation by what was charged, `release` drops it when nothing
can have been charged (no connection, a 4xx).

Today's spending is also reconciled with the API's own count (`/account`'s
`credits_spent_today`, a UTC day): `reconcile` keeps the larger of the two for the day
limit and remembers the difference (`mismatch`) for `kiosk status`.

The spending survives restarts (a crash loop must not reset it): `Ledger` is where
it is kept, the queue's database in the daemon (`kiosk.store.spending`). A ledger that
cannot be written is logged once and the guard goes on from memory.

Which clock (a Pi boots at 1970 or at a stale fake-hwclock time, then NTP steps it by
up to years): the sliding hour and day are measured on the **monotonic** clock within a
boot, so a step of the wall clock either way neither forgets what was spent (a step
forward) nor holds lookups back for a year (a step back). The wall clock (`clock`) only
stamps the ledger's rows and says which UTC day it is; a spend's wall time is taken in
the current wall clock's frame (now minus its monotonic age), so "today" follows a
step. In the daemon that wall clock is the store's (`Ledger.now`), which starts no
earlier than the newest stamp and takes up a step forward only together with every
stamp, these rows included: a restart after a boot at 1970 and NTP reads them at their
true age. Rows read back at a start are placed by their wall age, and a row from the
future of the clock counts as spent just now: kept, and freed a full window later.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from kiosk.api.errors import SpendLimited
from kiosk.clock import Clock
from kiosk.errors import StoreError

__all__ = ["HOUR", "Ledger", "Reservation", "SpendGuard", "utc_day_start"]

logger = logging.getLogger(__name__)

HOUR, DAY = 3600.0, 86400.0


class Ledger(Protocol):
    """Where spending is kept: (wall time, credits) pairs."""

    def now(self) -> float:
        """The wall time its rows are stamped on (the store's, which a step of the wall
        clock does not move: see `kiosk.store.Store`)."""
        ...

    def record(self, at: float, credits: float) -> None: ...

    def since(self, at: float) -> list[tuple[float, float]]: ...


def utc_day_start(at: float) -> float:
    """The start of the UTC day holding `at`: the API's "today"."""
    return at - (at % DAY)


class Reservation:
    """A lookup's price, counted while its request is under way."""

    __slots__ = ("credits", "settled")

    def __init__(self, credits: float) -> None:
        self.credits = credits
        self.settled = False


class SpendGuard:
    """Thread-safe. A limit of 0 means no limit. `clock`: wall time (the ledger's stamps,
    the UTC day; default: the ledger's own, else `time.time`); `monotonic`: the windows
    (see the module's docstring)."""

    def __init__(self, per_hour: float, per_day: float, ledger: Ledger | None = None,
                 clock: Clock | None = None, monotonic: Clock = time.monotonic) -> None:
        self.per_hour = per_hour
        self.per_day = per_day
        self._ledger = ledger
        if clock is None:
            clock = ledger.now if ledger is not None else time.time
        self._clock = clock
        self._mono = monotonic
        self._lock = threading.Lock()
        self._limited = False
        self._ledger_warned = False
        now, mono = clock(), monotonic()
        entries: list[tuple[float, float]] = []
        if ledger is not None:
            try:
                entries = ledger.since(now - DAY)
            except StoreError as exc:
                logger.warning("spending of the last day unreadable (%s); counting from now",
                               exc)
        # (monotonic time, credits); a row from the future of the clock is "just now".
        self._spent: deque[tuple[float, float]] = deque(
            sorted((mono - max(0.0, now - at), c) for at, c in entries))
        self._reserved: list[Reservation] = []
        self._api_today: tuple[float, float, float] | None = None  # (day, credits, mono)
        self.mismatch: float | None = None
        """The API's spent-today minus this kiosk's at the last `reconcile`."""

    def wall(self) -> float:
        """The wall time this guard stamps spending on (a paid answer's `paid_at`)."""
        return self._clock()

    @property
    def limited(self) -> bool:
        """True while the limit holds new lookups back (for the metrics)."""
        return self._limited

    def _now(self) -> tuple[float, float]:
        """(monotonic, wall) now."""
        return self._mono(), self._clock()

    def check(self) -> None:
        """Raise `SpendLimited` when a limit is reached; say so once when it starts."""
        now = self._now()
        with self._lock:
            self._forget(now[0])
            over = self._over(now)
            started = over is not None and not self._limited
            ended = over is None and self._limited
            self._limited = over is not None
        if ended:
            logger.warning("spending limit no longer reached: new scans are looked up again")
        if over is not None:
            raise self._limit_error(over, started)

    def _limit_error(self, over: tuple[str, float], started: bool) -> SpendLimited:
        what, wait = over
        error = SpendLimited(f"spending limit reached: {what}; new scans are saved and looked "
                             f"up in {wait / 60:.0f} min", retry_after=wait, code="spend_limit")
        if started:
            logger.warning("%s", error)
        return error

    def reserve(self, price: float) -> Reservation:
        """Count `price` now if it fits both windows, else raise `SpendLimited`.

        Check and count are one step under one lock: two threads cannot both fit into
        the last credit of the hour."""
        now = self._now()
        with self._lock:
            self._forget(now[0])
            need = price + sum(r.credits for r in self._reserved)
            over = self._over(now, need, price)
            started = over is not None and not self._limited
            ended = over is None and self._limited
            self._limited = over is not None
            if over is None:
                reservation = Reservation(price)
                self._reserved.append(reservation)
        if ended:
            logger.warning("spending limit no longer reached: new scans are looked up again")
        if over is None:
            return reservation
        raise self._limit_error(over, started)

    def settle(self, reservation: Reservation | None, credits: float,
               write: Callable[[float, float], None] | None = None) -> None:
        """Replace the reservation by `credits` charged, and write them down durably:
        by `write(at, credits)` (the paid answer's own transaction) or the ledger."""
        mono, now = self._now()
        with self._lock:
            self._drop(reservation)
            if credits > 0:
                self._spent.append((mono, credits))
        if credits <= 0:
            return
        if write is not None:
            try:
                write(now, credits)
                return
            except StoreError as exc:
                logger.warning("the paid answer could not be written down (%s); its spend "
                               "is recorded alone", exc)
        self._record(now, credits)

    def release(self, reservation: Reservation | None) -> None:
        """Nothing was charged (no request went out, or the API said so)."""
        with self._lock:
            self._drop(reservation)

    def spent(self, credits: float) -> None:
        self.settle(None, credits)

    def reconcile(self, api_spent_today: float) -> float:
        """Take the API's count of today's spending; return it minus this kiosk's."""
        mono, now = self._now()
        day = utc_day_start(now)
        with self._lock:
            own = self._own_today(mono, now)
            self._api_today = (day, api_spent_today, mono)
            self.mismatch = round(api_spent_today - own, 6)
            return self.mismatch

    def spent_today(self) -> float:
        """Credits spent since UTC midnight: the larger of this kiosk's count and the
        API's at the last `reconcile` plus what this kiosk spent since."""
        now = self._now()
        with self._lock:
            return round(self._today(now), 6)

    def _record(self, now: float, credits: float) -> None:
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
        now = self._mono()
        with self._lock:
            return round(sum(c for at, c in self._spent if at > now - seconds), 6)

    # --- under the lock ---------------------------------------------------------------

    def _forget(self, now: float) -> None:
        while self._spent and self._spent[0][0] <= now - DAY:
            self._spent.popleft()

    def _drop(self, reservation: Reservation | None) -> None:
        if reservation is not None and not reservation.settled:
            reservation.settled = True
            self._reserved.remove(reservation)

    def _own_today(self, mono: float, wall: float) -> float:
        """This kiosk's spending since UTC midnight, each spend placed by its age."""
        day = utc_day_start(wall)
        return sum(c for at, c in self._spent if wall - (mono - at) >= day)

    def _today(self, now: tuple[float, float]) -> float:
        mono, wall = now
        own = self._own_today(mono, wall)
        if self._api_today is None or self._api_today[0] != utc_day_start(wall):
            return own
        _, api, at = self._api_today
        return max(own, api + sum(c for t, c in self._spent if t > at))

    def _over(self, now_: tuple[float, float], need: float = 0.0, price: float = 0.0
              ) -> tuple[str, float] | None:
        """Why `need` more credits do not fit now, and how long until they do.

        `need == 0` (the plain `check`): over once a limit is reached."""
        def blocked(total: float, limit: float) -> bool:
            # A price above the limit itself goes through in an empty window, alone.
            return total >= limit if need == 0 else total + need > limit + 1e-9 and (
                total > 0 or need > price)

        now, wall = now_
        for limit, window, key in ((self.per_hour, HOUR, "max_credits_per_hour"),
                                   (self.per_day, DAY, "max_credits_per_day")):
            if limit <= 0:
                continue
            inside = [(at, c) for at, c in self._spent if at > now - window]
            total = sum(c for _, c in inside)
            floor = self._today(now_) if window == DAY else 0.0
            if not blocked(max(total, floor), limit):
                continue
            what = (f"{max(total, floor):.1f} credits in the last "
                    f"{'hour' if window == HOUR else 'day'} (api.{key} = {limit:g})")
            # The window frees enough once the oldest entries, in order, leave it.
            for at, credits in inside:
                total -= credits
                if not blocked(max(total, floor), limit):
                    return what, max(1.0, at + window - now)
            return what, max(1.0, utc_day_start(wall) + DAY - wall)
        return None
