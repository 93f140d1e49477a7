"""Per-client rate limits: a sliding one-minute window and a calendar-day budget."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass

__all__ = ["RateDecision", "RateLimiter"]


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset: int
    retry_after: int
    remaining_today: int


class RateLimiter:
    def __init__(self, per_minute: int, per_day: int) -> None:
        self.per_minute = per_minute
        self.per_day = per_day
        self._lock = threading.Lock()
        self._window: deque[float] = deque()
        self._day = ""
        self._today = 0

    def hit(self, now: float) -> RateDecision:
        """Count one request if the budget allows it; say what the headers should carry."""
        with self._lock:
            self._roll(now)
            allowed = len(self._window) < self.per_minute and self._today < self.per_day
            if allowed:
                self._window.append(now)
                self._today += 1
            return self._decision(now, allowed)

    def peek(self, now: float) -> RateDecision:
        with self._lock:
            self._roll(now)
            return self._decision(now, True)

    def _roll(self, now: float) -> None:
        while self._window and self._window[0] <= now - 60:
            self._window.popleft()
        day = time.strftime("%Y-%m-%d", time.gmtime(now))
        if day != self._day:
            self._day, self._today = day, 0

    def _decision(self, now: float, allowed: bool) -> RateDecision:
        reset = math.ceil(self._window[0] + 60 - now) if self._window else 0
        if self._today >= self.per_day:
            retry = math.ceil(86400 - now % 86400)
        else:
            retry = max(1, reset) if len(self._window) >= self.per_minute else 0
        return RateDecision(
            allowed=allowed,
            limit=self.per_minute,
            remaining=max(0, self.per_minute - len(self._window)),
            reset=max(0, reset),
            retry_after=retry,
            remaining_today=max(0, self.per_day - self._today),
        )
