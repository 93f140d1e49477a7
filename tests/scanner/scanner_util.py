"""Collecting what readers report, and waiting for it without sleeping blindly."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from kiosk.scanner.scan import Scan


class Collector:
    """Thread-safe sink for `on_scan` and `on_status`, with waits bounded by a safety net."""

    def __init__(self) -> None:
        self.scans: list[Scan] = []
        self.statuses: list[tuple[str, bool, str]] = []
        self.received_at: list[float] = []
        self._cond = threading.Condition()

    def on_scan(self, scan: Scan) -> None:
        with self._cond:
            self.scans.append(scan)
            self.received_at.append(time.monotonic())
            self._cond.notify_all()

    def on_status(self, source: str, connected: bool, detail: str) -> None:
        with self._cond:
            self.statuses.append((source, connected, detail))
            self._cond.notify_all()

    def wait(self, predicate: Callable[[], Any], timeout: float = 10.0) -> None:
        with self._cond:
            if not self._cond.wait_for(predicate, timeout):
                raise AssertionError(
                    f"timed out; scans={[s.raw for s in self.scans]!r} "
                    f"statuses={self.statuses!r}")

    def poll(self, predicate: Callable[[], Any], timeout: float = 10.0) -> None:
        """For conditions no callback signals (e.g. a counter in a seam)."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("timed out")
            with self._cond:
                self._cond.wait(0.01)

    def wait_scans(self, n: int, timeout: float = 10.0) -> list[Scan]:
        self.wait(lambda: len(self.scans) >= n, timeout)
        return list(self.scans)

    def connected_states(self) -> list[bool]:
        return [c for _, c, _ in self.statuses]
