"""A reader fed by hand, for tests of whatever consumes scans (never the default)."""

from __future__ import annotations

import time

from kiosk.scanner.scan import OnScan, OnStatus, Scan

__all__ = ["FakeReader"]


class FakeReader:
    """Implements the `Reader` contract without a thread: `feed()` calls `on_scan` at once."""

    def __init__(self, on_scan: OnScan, on_status: OnStatus, source: str = "fake") -> None:
        self._on_scan = on_scan
        self._on_status = on_status
        self._source = source
        self.started = False

    @property
    def source(self) -> str:
        return self._source

    def start(self) -> None:
        self.started = True
        self._on_status(self._source, True, "fake reader")

    def stop(self, timeout: float = 2.0) -> None:
        self.started = False

    def feed(self, raw: str, t_last: float | None = None, problem: str | None = None) -> Scan:
        scan = Scan(raw, self._source, time.monotonic() if t_last is None else t_last,
                    problem=problem)
        self._on_scan(scan)
        return scan

    def unplug(self, detail: str = "unplugged") -> None:
        self._on_status(self._source, False, detail)
