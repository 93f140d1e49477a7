"""How many journal lines a kind of noise may cost: a fixed window and a summary.

A serial reader at the wrong baud rate sends hundreds of garbled frames a second. Each
one is worth a journal line while they are few (an admin wants to see *what* was read),
but not hundreds a second: journald would rotate the useful lines away, and the kiosk
would spend its time writing them. `LineBudget` lets the first `lines` of a window
through, counts the rest by kind, and once the window has passed says how many were
left out, once ("suppressed 1843 invalid frames in the last 10 s").

Pure: the clock is injected and nothing is logged here; the caller holds any lock.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["LineBudget", "Suppressed"]


@dataclass(frozen=True)
class Suppressed:
    """What a closed window left out of the journal, by kind, over `seconds`."""

    counts: dict[str, int]
    seconds: float

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class LineBudget:
    """At most `lines` lines per window of `period_s`; the rest counted for `summary()`.

    A window opens at the first line asked for. A window that suppressed nothing simply
    ends; one that did stays open (still suppressing) until `summary()` takes its counts,
    so no count is lost between the window's end and the caller getting round to it.
    """

    def __init__(self, lines: int = 10, period_s: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if lines < 0 or period_s <= 0:
            raise ValueError("a budget needs lines >= 0 and a period > 0")
        self.lines = lines
        self.period_s = period_s
        self._clock = clock
        self._opened: float | None = None
        self._used = 0
        self._left_out: Counter[str] = Counter()

    def allow(self, kind: str) -> bool:
        """May one more line of `kind` be written now? If not, it is counted."""
        now = self._clock()
        if self._opened is not None and not self._left_out and now >= self._end:
            self._opened = None  # a quiet window ends by itself
        if self._opened is None:
            self._opened, self._used = now, 0
        if self._used < self.lines and not self._left_out:
            self._used += 1
            return True
        self._left_out[kind] += 1
        return False

    def count(self, kind: str, n: int = 1) -> None:
        """Count `n` of `kind` left out without asking (e.g. frames never read)."""
        if n <= 0:
            return
        if self._opened is None:
            self._opened, self._used = self._clock(), 0
        self._left_out[kind] += n

    @property
    def due(self) -> float | None:
        """When `summary()` will have something to say (None: nothing left out)."""
        return self._end if self._left_out else None

    def summary(self) -> Suppressed | None:
        """The counts of a window that has ended, once; None before, or if nothing was
        left out. Starts a new window."""
        if not self._left_out or self._opened is None:
            return None
        now = self._clock()
        if now < self._end:
            return None
        said = Suppressed(dict(self._left_out), now - self._opened)
        self._left_out.clear()
        self._opened, self._used = None, 0
        return said

    @property
    def _end(self) -> float:
        assert self._opened is not None
        return self._opened + self.period_s
