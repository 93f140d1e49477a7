"""The main loop's sleep: until the next event or the next thing due, never a fixed poll.

An idle kiosk on a Pi should cost next to nothing, so the main thread does not tick: it
blocks on its event queue with the nearest deadline as the timeout (the attract arrow's
next frame, a watchdog ping, a status or metrics write, …), and counts why it woke, so
tests and benches can tell a wake that was due from one that was not.
"""

from __future__ import annotations

import contextlib
import queue
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import TypeVar

__all__ = ["EARLY_S", "Waker"]

EARLY_S = 0.001  # a lock's timed wait may return this much before its time

E = TypeVar("E")


class Waker:
    """Sleeps on an event queue until an event or the nearest deadline.

    `wakes` counts why each sleep ended: "event", the name of the deadline that was due,
    or "early" (before anything was due: a wake that should not have happened)."""

    def __init__(self) -> None:
        self.wakes: Counter[str] = Counter()

    def wait(self, events: queue.SimpleQueue[E], deadlines: Mapping[str, float | None],
             now: float, handle: Callable[[E], None]) -> None:
        """Sleep until the first event or deadline; then handle every event that came (a
        burst at once). A deadline of None is nothing pending."""
        pending = [(at, name) for name, at in deadlines.items() if at is not None]
        at, name = min(pending) if pending else (None, "")
        try:
            first = events.get(timeout=None if at is None else max(0.0, at - now))
        except queue.Empty:
            self.wakes[name if time.monotonic() >= (at or 0.0) - EARLY_S else "early"] += 1
            return
        handle(first)
        self.wakes["event"] += 1  # after: a test may wait for an event to be handled
        with contextlib.suppress(queue.Empty):
            while True:
                handle(events.get_nowait())
