"""Pace requests from the API's own rate-limit headers, so bursts never meet a 429.

Every authenticated response says how many requests are left in the current minute
(`X-RateLimit-Remaining`) and how long until a slot frees (`X-RateLimit-Reset`). The
pacer turns that into a wait before the next request: none while plenty remain, an
even spread over the reset time as the budget runs low, the full reset when it is
spent (or after a 429's `Retry-After`). Both waits are clamped (`backoff.clamp_wait`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from kiosk.backoff import clamp_wait

__all__ = ["Pacer"]


class Pacer:
    """Thread-safe; `clock` is monotonic seconds (injectable for tests)."""

    def __init__(self, reserve: int = 5, clock: Callable[[], float] = time.monotonic) -> None:
        self.reserve = reserve
        self._clock = clock
        self._lock = threading.Lock()
        self._not_before = 0.0
        self._interval = 0.0
        self._last = float("-inf")

    def observe(self, headers: Mapping[str, str]) -> None:
        """Update from one response's X-RateLimit-* headers (missing ones are ignored)."""
        try:
            remaining = int(headers["X-RateLimit-Remaining"])
            reset = clamp_wait(float(headers["X-RateLimit-Reset"]), default=0.0)
        except (KeyError, ValueError):
            return
        now = self._clock()
        with self._lock:
            if remaining <= 0:
                self._not_before = max(self._not_before, now + reset)
                self._interval = 0.0
            elif remaining < self.reserve:
                self._interval = reset / remaining
            else:
                self._interval = 0.0

    def hold_off(self, seconds: float) -> None:
        """After a 429: no request before `seconds` from now."""
        with self._lock:
            self._not_before = max(self._not_before, self._clock() + clamp_wait(seconds))

    def delay(self) -> float:
        """Seconds to wait before the next request may be sent (0 if it may go now)."""
        now = self._clock()
        with self._lock:
            return max(0.0, self._not_before - now, self._last + self._interval - now)

    def sent(self) -> None:
        with self._lock:
            self._last = self._clock()
