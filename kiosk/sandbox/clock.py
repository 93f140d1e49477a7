"""A wall clock the tests can move forward, so expiry is tested without sleeping.

Every deadline in the sandbox (token lifetimes, signed-URL expiry, the rate-limit windows)
reads `Clock.now()`; `advance()` shifts it for the whole sandbox at once.
"""

from __future__ import annotations

import threading
import time

__all__ = ["Clock"]


class Clock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch, plus every `advance()` so far."""
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds
