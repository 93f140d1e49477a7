"""The store's price file in the running kiosk: kept current on a thread of its own, read
by every scan.

Its own thread, not one of the drainer's chores: the chores run at the drainer's pace
(its housekeeping, every few minutes, or when the API answers again), not at
`prices.poll_interval_s`, and an import of 100,000 rows (about 2 s of CPU) or a slow
download there would hold queued scans back, and a queued scan's lookup would hold the
prices back. Apart, each keeps its own pace and a stop has one `Event` to set.

A stop does not wait for an import or a download to end: `join` says so and returns
True, as the readers' does. The thread touches neither the store nor the API's client,
and an import cut short by the end of the process is a transaction never committed, so
the old prices stay (`kiosk.prices._book`); the price book is then left open.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from kiosk.api import make_http_client
from kiosk.api.transport import bounds
from kiosk.config import Config
from kiosk.daemon._threads import Stoppables
from kiosk.errors import StoreError
from kiosk.prices import FileSource, PriceBook, PriceEntry, PriceRefresher, Source, UrlSource
from kiosk.prices import limits_of as price_limits
from kiosk.scanner import gs1_gtin

__all__ = ["FETCH_S", "Prices"]

logger = logging.getLogger(__name__)

FETCH_S = 120.0
"""A price file's download must be done within this (50 MB at 3.5 Mbit/s)."""


class Prices:
    """The price book, its refresher and its thread. `lookup` from any thread."""

    def __init__(self, book: PriceBook, refresher: PriceRefresher, interval_s: float,
                 http: httpx.Client | None = None) -> None:
        self.book = book
        self.refresher = refresher
        self.interval_s = interval_s
        self._http = http
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unreadable = False
        self.rounds = 0  # polls done; tests wait on `polled`
        self.polled = threading.Condition()

    @classmethod
    def start(cls, cfg: Config, transport: httpx.BaseTransport | None,
              stack: contextlib.ExitStack, stoppable: Stoppables) -> Prices | None:
        """Open the prices and start polling, when `prices.path` or `prices.url` is set
        (else None, and no prices.db is made); closed by `stack`, stopped with the
        daemon's threads. A price book that cannot be opened is one error: the kiosk
        runs on without prices."""
        p = cfg.prices
        if p.path is None and not p.url:
            return None
        try:
            book = PriceBook(cfg.storage.state_dir / "prices.db")
        except StoreError as exc:
            logger.error("the prices cannot be used: %s; scans are shown without them", exc)
            return None
        limits = price_limits(p)
        sources: list[Source] = [] if p.path is None else [FileSource(p.path)]
        http = None
        if p.url:  # the API's trust store, proxy and bounds; never its token
            http = make_http_client(cfg.api, transport)
            sources.append(UrlSource(p.url, http, cfg.storage.state_dir, limits.max_bytes,
                                     extensions=_bounds(limits.max_bytes)))
        prices = cls(book, PriceRefresher(book, sources, gs1_gtin, limits),
                     p.poll_interval_s, http)
        stack.callback(prices.close)
        prices._thread = threading.Thread(target=prices._run, name="kiosk-prices",
                                          daemon=True)
        prices._thread.start()
        stoppable.add("the price file's poll", prices._stop.set, prices.join)
        return prices

    def lookup(self, gtin: str) -> PriceEntry | None:
        """The barcode's entry, or None (not in the file, or the book unreadable: said
        once when that starts and once when it ends)."""
        try:
            entry = self.book.lookup(gtin)
        except StoreError as exc:
            if not self._unreadable:
                logger.warning("prices cannot be read (%s); scans are shown without them", exc)
            self._unreadable = True
            return None
        if self._unreadable:
            logger.info("prices can be read again")
            self._unreadable = False
        return entry

    def join(self, deadline: float) -> bool:
        """Always True: what the thread uses outlives no one (see the module doc)."""
        if self._thread is not None:
            self._thread.join(max(0.0, deadline - time.monotonic()))
            if self._thread.is_alive():
                logger.warning("stopping during a price file's import or download: the "
                               "prices in use stay, the file is checked again at start")
        return True

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return  # still importing: the process's end rolls that back
        self.book.close()
        if self._http is not None:
            self._http.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.refresher.refresh()
            except Exception:  # a bug must not end the polling: the next round tries again
                logger.exception("price file poll failed; tried again in %.0f s",
                                 self.interval_s)
            with self.polled:
                self.rounds += 1
                self.polled.notify_all()
            self._stop.wait(self.interval_s)


def _bounds(max_bytes: int) -> Callable[[], dict[str, Any]]:
    return lambda: bounds(FETCH_S, max_bytes)
