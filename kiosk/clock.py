"""The kiosk's clocks: how far off the wall clock is, and time that survives a step.

A Raspberry Pi has no real-time clock. It boots with the time `fake-hwclock` saved at
the last orderly shutdown (or 1970), and NTP, when the store's network lets it through,
then steps the clock by days or years. Every time window of the kiosk therefore takes
its reference from one of three places, chosen per window (each module's docstring
says which and why):

- **monotonic time** (`time.monotonic`) for what lives within one boot: the spending
  guard's sliding windows, the access token's lifetime and a refused key's back-off.
  A step of the wall clock does not move it at all.
- **`SteadyClock`**: wall time for what is stamped on disk and compared later (the
  queue's and the cache's times). It starts at the newest time already written down
  (a persisted high-water mark: the store's own stamps), so a boot at 1970 or at a
  stale fake-hwclock does not stamp the past, then runs on the monotonic clock: a step
  back reopens nothing, and a step forward is taken up only together with the stamps,
  so nothing ages by a step (`kiosk.store.Store.follow_clock`).
- **the API's `Date` header**, where the API is the authority: a `Retry-After` date
  (`kiosk.backoff`) and the skew this module measures (`skew_from_date`), which the
  client reports once when it is over `SKEW_WARN_S`.

Wall time always comes in through a callable (`Clock`), so tests step it.
"""

from __future__ import annotations

import datetime
import email.utils
import math
import threading
import time
from collections.abc import Callable

__all__ = ["NTP_ADVICE", "SKEW_WARN_S", "STEP_S", "Clock", "SteadyClock", "describe_span",
           "skew_from_date", "utc_text"]

Clock = Callable[[], float]
"""Seconds: `time.time` for wall time, `time.monotonic` within a boot."""

SKEW_WARN_S = 300.0
"""A clock further off the API's than this is reported (the issue's five minutes; TLS
and the API's day both tolerate less than a day, a year breaks every handshake)."""

NTP_ADVICE = ("let the kiosk reach an NTP server the store's network allows "
              "(`sudo ./scripts/install-pi --ntp-server HOST`), or allow NTP (UDP port 123) "
              "out; `timedatectl` shows whether the clock is synchronised")
"""What to do about a wrong clock, the same words wherever the kiosk says so."""

STEP_S = 60.0
"""A wall clock this far ahead of a `SteadyClock` was stepped (NTP slews smaller errors,
and the monotonic clock is slewed with it)."""

_YEAR = 365 * 86400.0


def skew_from_date(date_header: str | None, local_now: float) -> float | None:
    """The local wall clock minus the server's `Date` (positive: the kiosk is ahead).

    None for a missing or malformed header: no answer is refused over its Date. HTTP
    dates have one-second resolution, so a skew within a second is noise.
    """
    if not date_header:
        return None
    try:
        when = email.utils.parsedate_to_datetime(date_header.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # RFC 9110: an HTTP date is UTC; "-0000" parses naive
        when = when.replace(tzinfo=datetime.UTC)
    try:
        server = when.timestamp()
    except (OverflowError, OSError, ValueError):
        return None
    skew = local_now - server
    return skew if math.isfinite(skew) else None


def describe_span(seconds: float) -> str:
    """A duration as a person reads it: '2 years 3 days', '4 hours 10 minutes', '7 minutes'.

    The two largest units only: how far off the clock is, not to the second."""
    units = (("year", _YEAR), ("day", 86400.0), ("hour", 3600.0), ("minute", 60.0),
             ("second", 1.0))
    left = float(round(abs(seconds)))
    first = next((i for i, (_, size) in enumerate(units) if left >= size), None)
    if first is None:
        return "less than a second"
    # Rounded to the smaller unit shown: a Date header has one-second resolution.
    step = units[min(first + 1, len(units) - 1)][1]
    left = round(left / step) * step
    parts = []
    for unit, size in units[first:first + 2]:
        count = int(left // size)
        left -= count * size
        if count:
            parts.append(f"{count} {unit}{'s' if count != 1 else ''}")
    return " ".join(parts)


def utc_text(at: float) -> str:
    """A Unix time as '2026-12-08 00:40 UTC' (what the kiosk's clock says, for a person)."""
    try:
        return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(at))
    except (OverflowError, OSError, ValueError):
        return f"{at:.0f} s after 1970 (UTC)"


class SteadyClock:
    """Wall time for what is stamped on disk: monotonic within a boot, never stepped.

    It starts at the wall clock or at `floor`, the newest time already written down,
    whichever is later (a boot at 1970 or at a stale fake-hwclock does not stamp the
    past), then runs on the monotonic clock: a step of the wall clock either way moves
    nothing by itself. A step back is absorbed for good (this clock stays ahead until
    the wall catches up; nothing it stamped reopens). A step forward is NTP putting the
    clock right: the store (`kiosk.store.Store.follow_clock`) takes it up with `adopt`,
    moving the stamps it holds by the same amount first, so that nothing ages by the
    step. Within a boot, time that passed is what the monotonic clock says. Thread-safe;
    callable like `time.time`.
    """

    def __init__(self, wall: Clock = time.time, monotonic: Clock = time.monotonic,
                 floor: float | None = None) -> None:
        self._wall = wall
        self._monotonic = monotonic
        self._lock = threading.Lock()
        start = wall()
        if floor is not None and math.isfinite(floor):
            start = max(start, floor)
        self._offset = start - monotonic()

    def __call__(self) -> float:
        with self._lock:
            return self._monotonic() + self._offset

    def from_wall(self, at: float) -> float:
        """A wall-clock reading of a moment ago (a scan's time) in this clock's frame."""
        return at - self.wall_ahead()

    def wall_ahead(self) -> float:
        """How far the wall clock is ahead of this one (negative: behind)."""
        return self._wall() - self()

    def adopt(self, step: float) -> None:
        """Move this clock forward by `step` (never back), once the stamps have moved."""
        with self._lock:
            self._offset += max(0.0, step)
