"""The kiosk's clocks: how far off the wall clock is, and time that survives a step.

A Raspberry Pi has no real-time clock. It boots with the time `fake-hwclock` saved at
the last orderly shutdown (or 1970), and NTP, when the store's network lets it through,
then steps the clock by days or years. Every time window of the kiosk therefore takes
its reference from one of three places, chosen per window (each module's docstring
says which and why):

- **monotonic time** (`time.monotonic`) for what lives within one boot: the spending
  guard's sliding windows, the access token's lifetime and a refused key's back-off.
  A step of the wall clock does not move it at all.
- **`SteadyClock`**: wall time that never goes back, for what is stamped on disk and
  compared later (the queue's and the cache's times). It starts at the newest time
  already written down (a persisted high-water mark: the store's own stamps), so a
  boot at 1970 or at a stale fake-hwclock does not stamp the past, and a step back runs
  on from where the clock was, at the monotonic rate, instead of reopening a window.
  A step forward is followed (it is usually NTP putting the clock right).
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

__all__ = ["NTP_ADVICE", "SKEW_WARN_S", "Clock", "SteadyClock", "describe_span", "skew_from_date",
           "utc_text"]

Clock = Callable[[], float]
"""Seconds: `time.time` for wall time, `time.monotonic` within a boot."""

SKEW_WARN_S = 300.0
"""A clock further off the API's than this is reported (the issue's five minutes; TLS
and the API's day both tolerate less than a day, a year breaks every handshake)."""

NTP_ADVICE = ("let the kiosk reach an NTP server the store's network allows "
              "(`sudo ./scripts/install-pi --ntp-server HOST`), or allow NTP (UDP port 123) "
              "out; `timedatectl` shows whether the clock is synchronised")
"""What to do about a wrong clock, the same words wherever the kiosk says so."""

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
    """Wall time that never goes back: `max(wall, last + monotonic time since last)`.

    `floor` is the newest time already written down (the store's stamps): the clock
    starts no earlier, so stamps made after a boot at 1970 are not older than stamps
    made before it. A step back is absorbed (the clock runs on from where it was, at
    the monotonic rate, until the wall clock catches up); a step forward is followed.
    Thread-safe; callable like `time.time`.
    """

    def __init__(self, wall: Clock = time.time, monotonic: Clock = time.monotonic,
                 floor: float | None = None) -> None:
        self._wall = wall
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._last = max(wall(), floor if floor is not None and math.isfinite(floor)
                         else -math.inf)
        self._last_mono = monotonic()

    def __call__(self) -> float:
        with self._lock:
            mono = self._monotonic()
            now = max(self._wall(), self._last + max(0.0, mono - self._last_mono))
            self._last, self._last_mono = now, mono
            return now

    @property
    def behind(self) -> float:
        """How far the wall clock is behind this one now (0 when it is not)."""
        return max(0.0, self() - self._wall())
