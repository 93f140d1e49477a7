"""The scan worker's inbox: bounded, and what matters least goes first when it is full.

Readers put scans here from their own threads; the worker's fast lane takes them in the
order they came. A reader gone wild (a serial port at the wrong baud rate, a scanner in
continuous mode) can send thousands of frames a second, faster than they are handled:
an unbounded queue grew the kiosk to its memory limit. This one holds `capacity` scans.
When a scan arrives at a full inbox one already waiting is dropped, in this order:

1. the oldest **invalid** frame (it would only have shown "invalid scan");
2. the oldest **repeat** — a valid code from the same reader as one still waiting
   (a double read, or at best the same product again);
3. only then the oldest **valid** scan: the newest one is what the shopper looks at.

Nothing is dropped silently: `on_drop(kind, scan)` is told each time ("invalid",
"repeat" or "valid"); the daemon counts them into its journal summary and says every
valid one. A stop marker is never refused.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter, deque
from collections.abc import Callable

from kiosk.scanner import Invalid, Scan, validate

__all__ = ["CAPACITY", "KINDS", "OnDrop", "ScanInbox"]

CAPACITY = 256
KINDS = ("invalid", "repeat", "valid")  # the order in which they are dropped
OnDrop = Callable[[str, Scan], None]

_Item = tuple[int, Scan, str | None]  # (arrival number, scan, its valid code or None)


class ScanInbox:
    def __init__(self, capacity: int = CAPACITY, on_drop: OnDrop | None = None) -> None:
        if capacity < 1:
            raise ValueError("an inbox holds at least one scan")
        self.capacity = capacity
        self._on_drop = on_drop
        self._lanes: dict[str, deque[_Item]] = {kind: deque() for kind in KINDS}
        self._waiting_codes: Counter[tuple[str, str]] = Counter()  # (source, code) valid
        self._arrivals = itertools.count()
        self._stopped = False
        self._ready = threading.Condition()

    def __len__(self) -> int:
        with self._ready:
            return sum(len(lane) for lane in self._lanes.values())

    def put(self, scan: Scan) -> None:
        """Take a scan (a reader's thread); drop the least useful one when full."""
        verdict = validate(scan)
        code = None if isinstance(verdict, Invalid) else verdict.gtin
        dropped: tuple[str, Scan] | None = None
        with self._ready:
            if code is None:
                kind = "invalid"
            elif self._waiting_codes[(scan.source, code)]:
                kind = "repeat"
            else:
                kind = "valid"
            if sum(len(lane) for lane in self._lanes.values()) >= self.capacity:
                dropped = self._drop_one()
            self._lanes[kind].append((next(self._arrivals), scan, code))
            if kind == "valid" and code is not None:
                self._waiting_codes[(scan.source, code)] += 1
            self._ready.notify()
        if dropped is not None and self._on_drop is not None:
            self._on_drop(*dropped)

    def stop(self) -> None:
        """Wake `get()` for good: it returns None once the inbox is empty."""
        with self._ready:
            self._stopped = True
            self._ready.notify_all()

    def get(self) -> Scan | None:
        """The next scan in arrival order, waiting for one; None once stopped."""
        with self._ready:
            while True:
                item = self._take()
                if item is not None:
                    return item
                if self._stopped:
                    return None
                self._ready.wait()

    def get_nowait(self) -> Scan | None:
        """The next scan without waiting (None: empty); for saving what is left."""
        with self._ready:
            return self._take()

    def _take(self) -> Scan | None:
        heads = [lane for lane in self._lanes.values() if lane]
        if not heads:
            return None
        lane = min(heads, key=lambda q: q[0][0])
        _, scan, code = lane.popleft()
        if lane is self._lanes["valid"]:
            self._forget(scan.source, code)
        return scan

    def _drop_one(self) -> tuple[str, Scan]:
        for kind in KINDS:
            lane = self._lanes[kind]
            if lane:
                _, scan, code = lane.popleft()
                if kind == "valid":
                    self._forget(scan.source, code)
                return kind, scan
        raise AssertionError("a full inbox has a scan to drop")

    def _forget(self, source: str, code: str | None) -> None:
        assert code is not None
        key = (source, code)
        self._waiting_codes[key] -= 1
        if self._waiting_codes[key] <= 0:
            del self._waiting_codes[key]
