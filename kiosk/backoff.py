"""Exponential back-off with full jitter, and parsing of `Retry-After`.

Full jitter (a uniform wait between 0 and the exponential cap) spreads the retries of
many kiosks in a store that lost Wi-Fi together, so they do not all hit the API in
the same second when it returns. A foundation, not part of `kiosk.api`: the API client, its
token refresher and the queue's drainer (`kiosk.daemon`) all wait by these rules.

Waits the API asks for (`Retry-After`, `X-RateLimit-Reset`) are clamped to
`MAX_WAIT_S`: the contract's limit is per minute, so a sane value is at most that,
and `1e9` or `inf` must not lock a kiosk until it restarts. A 429 costs nothing, so
asking again after a minute is harmless even when the API meant longer. An HTTP-date
is measured against the answer's own `Date` header, not the kiosk's clock, which on a
Pi without a real-time clock may still say 1970 (or a day from the last shutdown).
"""

from __future__ import annotations

import email.utils
import math
import random
import time

__all__ = ["MAX_WAIT_S", "Backoff", "clamp_wait", "parse_retry_after"]

MAX_WAIT_S = 60.0
_CLOCK_FLOOR = 1_735_689_600.0  # 2025-01-01: a clock before this has not been set yet


class Backoff:
    """Delays for successive failures: uniform(0, min(cap, base * 2**n))."""

    def __init__(
        self, base: float = 0.5, cap: float = 60.0, rng: random.Random | None = None
    ) -> None:
        self.base = base
        self.cap = cap
        self.failures = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * (2 ** min(self.failures, 30)))
        self.failures += 1
        return self._rng.uniform(0, ceiling)

    def reset(self) -> None:
        self.failures = 0


def clamp_wait(seconds: float, default: float = 1.0) -> float:
    """`seconds` as a wait the kiosk will honour: within [0, MAX_WAIT_S]; NaN: `default`."""
    if math.isnan(seconds):
        return default
    return min(MAX_WAIT_S, max(0.0, seconds))


def parse_retry_after(value: str | None, now: float | None = None, default: float = 1.0,
                      server_date: str | None = None) -> float:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP-date), clamped.

    A date is taken relative to `server_date` (the answer's Date header) when there is
    one; else to `now`, unless that clock is plainly not set, when the longest wait is
    the safe answer.
    """
    if not value:
        return default
    value = value.strip()
    try:
        return clamp_wait(float(value), default)
    except ValueError:
        pass
    when = _http_date(value)
    if when is None:
        return default
    reference = _http_date(server_date) if server_date else None
    if reference is None:
        reference = time.time() if now is None else now
        if reference < _CLOCK_FLOOR:
            return MAX_WAIT_S
    return clamp_wait(when - reference, default)


def _http_date(value: str) -> float | None:
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
