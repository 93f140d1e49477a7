"""When the main loop may paint the scan results that came: at once, unless paints are
really coming faster than a panel shows them.

A panel shows 60 frames a second; a reader gone wild sends hundreds of results. So paints
are paced by a token bucket: `burst` paints may follow each other at once, and past
that one per `interval_s` on average (the results that came meanwhile are painted
together, the newest drawn). A lone scan never waits for a frame slot because another
scan's card went up a few milliseconds before (a fixed "one paint per frame" made every
such card wait up to 16.7 ms: the bench's back-to-back scans paid it on every card).

The complete card of the scan whose early card (the product data, its photo still
downloading) was the last paint goes up at once and costs no token: it is the card
the shopper is waiting for, it changes only the photo's panel, and it can come only
once per lookup, so it cannot flood. (A fixed frame slot made it wait up to a frame
after its own early card: the uncached latency's slow mode.)

An early card whose data came fast (within `HOLD_S` of the scan: a link where a round
trip takes milliseconds, such as a shop's own server or loopback) is held back up to
`HOLD_S`: its photo, one more such round trip and a decode away, usually comes within
it, and then the card is painted once, complete. A shopper cannot tell 20 ms from at
once, but does see an empty photo panel flash for a frame, and painting it takes the
interpreter from the photo's decode (measured: the complete card 18 → 23 ms at
loopback). Over a real network (data after a round trip of tens of milliseconds or
more) the early card is painted at once: there it shows the product a round trip
before its photo.

Pure: the caller passes the clock in.
"""

from __future__ import annotations

__all__ = ["BURST", "HOLD_S", "Pacer"]

BURST = 2  # paints that may follow each other without waiting
HOLD_S = 0.020  # a fast early card waits this long at most for its photo


class Pacer:
    def __init__(self, interval_s: float, burst: int = BURST, hold_s: float = HOLD_S) -> None:
        if interval_s <= 0 or burst < 1 or hold_s < 0:
            raise ValueError("a pacer needs a positive interval and a burst of at least one")
        self.interval_s = interval_s
        self.burst = burst
        self.hold_s = hold_s
        self._tokens = float(burst)
        self._at = float("-inf")  # when `_tokens` was last brought up to date

    def _refill(self, now: float) -> float:
        if self._at == float("-inf"):
            return float(self.burst)
        return min(float(self.burst), self._tokens + (now - self._at) / self.interval_s)

    def due(self, now: float, *, completes: bool = False,
            early_scan_at: float | None = None) -> float:
        """When results that came at `now` may be painted (`completes`: they hold the
        complete card of the early card painted last; `early_scan_at`: the newest is an
        early card, of the scan made then)."""
        if completes:
            return now
        tokens = self._refill(now)
        due = now if tokens >= 1.0 else now + (1.0 - tokens) * self.interval_s
        if early_scan_at is not None and now - early_scan_at <= self.hold_s:
            due = max(due, now + self.hold_s)
        return due

    def painted(self, at: float, *, completes: bool = False) -> None:
        """A paint of scan results happened at `at` (monotonic)."""
        tokens = self._refill(at)
        self._tokens = tokens if completes else max(0.0, tokens - 1.0)
        self._at = at
