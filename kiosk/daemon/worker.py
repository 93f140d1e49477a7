"""The scan worker: two lanes that turn raw scans into answers without blocking anyone.

Readers (evdev, serial, the window keyboard) only put `Scan`s here, so a slow API never
blocks a reader or the screen. The **fast lane** validates each scan, applies its
reader's double-read window and answers what the cache alone can answer (a fresh
product, a fresh "not found"); a cached card is therefore on screen within a frame even
while the API is slow. What needs the API goes to the **lookup lane**, in order.

A lookup from the API sends two results: one as soon as the product data is in (its
answer `photo_pending`, so the card is drawn while the photo downloads) and the final
one. Every result carries a sequence number in scan order, so the screen can keep a
newer card when an older, slower lookup (or its late photo) finishes after it.

Readers put scans into a bounded inbox (`kiosk.daemon.inbox`): a reader gone wild costs
a few hundred scans' memory at most, and what is dropped when it is full (invalid frames
first, then repeats) is told to `on_drop`.

While a lookup is slow (running for `slow_after_s`), at most `MAX_WAITING` scans wait
behind it in memory; later ones go to the durable queue at once (`REASON=busy`), where
a crash cannot lose them. A quick burst (or lookups failing fast, offline) never counts
as slow.

Every result of a valid scan but a double read carries its barcode's entry in the
store's price file (`prices`, a SQLite index read of some 20 µs: no network, no credit).

Stopping is two steps, so that the daemon can tell every thread at once and then wait
for all of them against one deadline: `request_stop()` (the lookup in flight may
finish, its answer may be paid for; no new lookup starts: what waits for one is saved
to the durable queue instead, and the fast lane answers what is left in the inbox from
the cache), then `join(deadline)`, after which whatever a lane could not finish is
saved from the calling thread, so a SIGTERM never loses a scan.
"""

from __future__ import annotations

import functools
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable

from kiosk.daemon._scan import ScanResult
from kiosk.daemon.inbox import CAPACITY, ScanInbox
from kiosk.daemon.lookups import Lookups
from kiosk.errors import StoreError
from kiosk.outcome import Outcome
from kiosk.prices import PriceEntry
from kiosk.scanner import DuplicateWindow, Invalid, Scan, printable, validate

__all__ = ["ScanWorker"]

logger = logging.getLogger(__name__)

_STOP = object()
MAX_WAITING = 4
_Pending = tuple[int, str, Scan]  # (sequence, gtin, scan)


class ScanWorker:
    def __init__(
        self,
        lookups: Lookups,
        on_record: Callable[[ScanResult], None],
        *,
        duplicate_window_s: float = 1.5,
        slow_after_s: float = 1.0,
        on_drop: Callable[[str, Scan], None] | None = None,
        inbox_capacity: int = CAPACITY,
        prices: Callable[[str], PriceEntry | None] | None = None,
    ) -> None:
        self._lookups = lookups
        self._prices = prices
        self._on_record = on_record
        self._dupes = DuplicateWindow(duplicate_window_s)
        self._seq = itertools.count(1)
        self._inbox = ScanInbox(inbox_capacity, on_drop or _log_drop)
        self._stopping = threading.Event()
        self._pending: queue.Queue[object] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._current: _Pending | None = None
        self._started: float | None = None  # monotonic start of the lookup in flight
        self._slow_after_s = slow_after_s
        self._lock = threading.Lock()

    def set_duplicate_window(self, window_s: float) -> None:
        """A reload's new window, in place: a read just before it still counts."""
        self._dupes.window_s = window_s

    # --- readers call this, from their own threads --------------------------------------

    def submit(self, scan: Scan) -> None:
        self._inbox.put(scan)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        for target, name in ((self._fast_lane, "kiosk-scans"),
                             (self._lookup_lane, "kiosk-lookups")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 3.0) -> None:
        """Both steps at once: `request_stop()`, then `join()` within `timeout`."""
        self.request_stop()
        self.join(time.monotonic() + timeout)

    def request_stop(self) -> None:
        """Start no new lookup (what waits for one is saved instead). Returns at once."""
        self._stopping.set()
        self._inbox.stop()

    def join(self, deadline: float) -> bool:
        """Wait for both lanes until `deadline` (monotonic), then save to the durable
        queue every scan they did not get to, the lookup still in flight included
        (`stopping during the lookup of …`). True when both lanes ended."""
        fast, lookups = self._threads or (None, None)
        if fast is not None:
            fast.join(max(0.0, deadline - time.monotonic()))
        self._pending.put(_STOP)  # after the fast lane's last put, if it ended
        if lookups is not None:
            lookups.join(max(0.0, deadline - time.monotonic()))
        ended = not any(t.is_alive() for t in self._threads)
        with self._lock:
            current = self._current if lookups is not None and lookups.is_alive() else None
        if current is not None:
            logger.warning("stopping during the lookup of %s; saving it for later", current[1])
            self._save(current[1], current[2])
        for item in _drain(self._pending):
            if isinstance(item, tuple):
                self._save(item[1], item[2])
        while (scan := self._inbox.get_nowait()) is not None:
            self._save_scan(scan)
        if not ended:
            self._pending.put(_STOP)  # the drain above took it: a late lane still finds one
        return ended

    def _save_scan(self, scan: Scan) -> None:
        verdict = validate(scan)
        if not isinstance(verdict, Invalid):
            self._save(verdict.gtin, scan)

    def _save(self, gtin: str, scan: Scan) -> None:
        try:
            self._lookups.store.queue.enqueue(gtin, scan.source, "shutdown")
        except StoreError as exc:
            logger.error("scan %s from %s lost at shutdown: %s", gtin, scan.source, exc)

    # --- the lanes ------------------------------------------------------------------------

    def _fast_lane(self) -> None:
        while (scan := self._inbox.get()) is not None:  # the rest, after a stop too
            self._guarded(scan, functools.partial(self.triage, scan))

    def _lookup_lane(self) -> None:
        while True:
            item = self._pending.get()
            if item is _STOP:
                return
            assert isinstance(item, tuple)
            if self._stopping.is_set():  # a lookup started now could outlast the stop
                self._save(item[1], item[2])
                continue
            self._guarded(item[2], functools.partial(self.look_up, item))

    def _guarded(self, scan: Scan, work: Callable[[], ScanResult | None]) -> None:
        try:
            record = work()
        except Exception:  # a bug must not stop every later scan
            logger.exception("scan from %s could not be handled", scan.source)
            record = ScanResult(Outcome.ERROR, printable(scan.raw), reason="internal error",
                                source=scan.source, t_last=scan.t_last)
        if record is not None:
            self._on_record(record)

    def triage(self, scan: Scan) -> ScanResult | None:
        """The fast lane's verdict, or None when the scan went on to the lookup lane."""
        seq = next(self._seq)
        verdict = validate(scan)
        if isinstance(verdict, Invalid):
            return ScanResult(Outcome.INVALID, printable(scan.raw),
                              reason=verdict.reason).of_scan(scan, seq)
        gtin = verdict.gtin
        if self._dupes.is_duplicate(scan.source, gtin, scan.t_last):
            return ScanResult(Outcome.DUPLICATE, gtin, reason="double read").of_scan(scan, seq)
        answer = self._lookups.from_cache(gtin)
        if answer is None and self._backed_up():
            answer = self._lookups.defer(gtin, scan.source, "busy", scanned_at=time.time())
        if answer is not None:
            return answer.of_scan(scan, seq, self._price(gtin))
        self._pending.put((seq, gtin, scan))
        return None

    def _backed_up(self) -> bool:
        with self._lock:
            started = self._started
        return (self._pending.qsize() >= MAX_WAITING and started is not None
                and time.monotonic() - started >= self._slow_after_s)

    def look_up(self, item: _Pending) -> ScanResult | None:
        """The lookup lane's answer; None when it was already sent (before caching)."""
        seq, gtin, scan = item
        sent: list[ScanResult] = []
        price = self._price(gtin)

        def send(answer: ScanResult) -> None:  # early data, then the card before caching
            result = answer.of_scan(scan, seq, price)
            if not answer.photo_pending:
                sent.append(result)
            self._on_record(result)

        with self._lock:
            self._current, self._started = item, time.monotonic()
        try:
            answer = self._lookups.lookup(gtin, scan.source, scanned_at=time.time(),
                                          on_data=send, on_shown=send)
        except Exception:
            if not sent:
                raise
            # The card is on screen and in the journal's hands: one record per scan.
            logger.exception("scan %s was shown but not cached", gtin)
            return None
        finally:
            with self._lock:
                self._current, self._started = None, None
        return None if sent else answer.of_scan(scan, seq, price)

    def _price(self, gtin: str) -> PriceEntry | None:
        return None if self._prices is None else self._prices(gtin)


def _log_drop(kind: str, scan: Scan) -> None:
    level = logging.WARNING if kind == "valid" else logging.DEBUG
    logger.log(level, "scan %s from %s dropped: the inbox is full (%s)", printable(scan.raw),
               scan.source, kind)


def _drain(q: queue.Queue[object]) -> list[object]:
    items = []
    while True:
        try:
            items.append(q.get_nowait())
        except queue.Empty:
            return items
