"""The scan worker: one thread that turns raw scans into answers, in order.

Readers (evdev, serial, the window keyboard) only put `Scan`s on this worker's queue,
so a slow API never blocks a reader or the screen. Each scan is validated, checked
against the double-read window of its reader, and looked up through `Lookups`; the
result goes to the main loop as a `ScanRecord`.

On stop the scan being looked up is given a few seconds to finish; scans still waiting
are saved to the durable queue, so a SIGTERM never loses a scan.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from kiosk.errors import StoreError
from kiosk.lookup import Lookups
from kiosk.present import ScanRecord
from kiosk.scanner import DuplicateWindow, Invalid, Scan, printable, validate

__all__ = ["ScanWorker"]

logger = logging.getLogger(__name__)

_STOP = object()


class ScanWorker:
    def __init__(
        self,
        lookups: Lookups,
        on_record: Callable[[ScanRecord], None],
        *,
        duplicate_window_s: float = 1.5,
    ) -> None:
        self._lookups = lookups
        self._on_record = on_record
        self._dupes = DuplicateWindow(duplicate_window_s)
        self._inbox: queue.Queue[object] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._current: tuple[str, Scan] | None = None
        self._lock = threading.Lock()

    def set_duplicate_window(self, window_s: float) -> None:
        self._dupes = DuplicateWindow(window_s)

    # --- readers call this, from their own threads --------------------------------------

    def submit(self, scan: Scan) -> None:
        self._inbox.put(scan)

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="kiosk-scans", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        """Finish the current lookup (or queue it), then save every scan still waiting."""
        self._inbox.put(_STOP)
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            current = self._current if self._thread and self._thread.is_alive() else None
        if current is not None:
            gtin, scan = current
            logger.warning("stopping during the lookup of %s; saving it for later", gtin)
            self._save(gtin, scan)
        while True:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, Scan):
                verdict = validate(item)
                if not isinstance(verdict, Invalid):
                    self._save(verdict.gtin, item)

    def _save(self, gtin: str, scan: Scan) -> None:
        try:
            self._lookups.store.queue.enqueue(gtin, scan.source, "shutdown")
        except StoreError as exc:
            logger.error("scan %s from %s lost at shutdown: %s", gtin, scan.source, exc)

    # --- the thread -----------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            item = self._inbox.get()
            if item is _STOP:
                return
            assert isinstance(item, Scan)
            try:
                record = self.handle(item)
            except Exception:  # a bug must not stop every later scan
                logger.exception("scan from %s could not be handled", item.source)
                record = ScanRecord("error", printable(item.raw), item.source, item.t_last,
                                    reason="internal error")
            self._on_record(record)

    def handle(self, scan: Scan) -> ScanRecord:
        verdict = validate(scan)
        if isinstance(verdict, Invalid):
            return ScanRecord("invalid", printable(scan.raw), scan.source, scan.t_last,
                              reason=verdict.reason)
        gtin = verdict.gtin
        if self._dupes.is_duplicate(scan.source, gtin, scan.t_last):
            return ScanRecord("duplicate", gtin, scan.source, scan.t_last,
                              reason="double read")
        with self._lock:
            self._current = (gtin, scan)
        try:
            answer = self._lookups.lookup(gtin, scan.source, scanned_at=time.time())
        finally:
            with self._lock:
                self._current = None
        return ScanRecord(answer.outcome, gtin, scan.source, scan.t_last, answer=answer,
                          reason=answer.reason)
