"""Exponential back-off with full jitter, and parsing of `Retry-After`.

Full jitter (a uniform wait between 0 and the exponential cap) spreads the retries of
many kiosks in a store that lost Wi-Fi together, so they do not all hit the API in
the same second when it returns.
"""

from __future__ import annotations

import email.utils
import random
import time

__all__ = ["Backoff", "parse_retry_after"]


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


def parse_retry_after(value: str | None, now: float | None = None, default: float = 1.0) -> float:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return default
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)
