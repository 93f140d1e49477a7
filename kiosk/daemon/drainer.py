"""The drainer: a background thread that looks up queued scans once the API answers.

In order, one at a time, paced. A retryable failure (network, 5xx, 429, 402, refused
key) keeps the item at the head, notes the reason on it and stops the whole queue
for an exponential back-off with full jitter (or exactly `Retry-After` for a 429):
if the head cannot be resolved, the rest cannot either, and hammering a dead
network only fills the journal. `wake()` says "something was queued";
`wake(retry_now=True)` says "the network is back" and cuts a back-off short (never
a 429's `Retry-After`).

A scan whose answer is already in the cache from after it was queued (a crash
between `resolve_queued`'s two commits, or the same product looked up online in the
meantime) is dequeued without a lookup, so a crash costs no second lookup. Both
times come from the store's one clock, which never goes back and takes up a step
forward only together with every stamp (`kiosk.store.Store.follow_clock`): a Pi whose
clock NTP steps by a year either way between the queueing and the answer does not
buy the answer again. The pace and back-off waits are on the monotonic clock.

A failure of the item's own is different: an answer that was paid for and could not
be used or cached, or an exception outside the error tree (a bug met this product).
Retrying it buys it again every time and blocks every scan behind it, so such an item
gets `max_failures` attempts, then is set aside (`Queue.set_aside`: a journal line
`KIOSK_EVENT=set_aside`, listed by `kiosk status` and on the staff bar) and the rest
of the queue drains. Network-wide failures (no link, 5xx, 429, 402, a refused key)
never count against an item: they would stop any item alike.

An answer that was charged for and still could not be used after the client's one
retry (`BadAnswer`: cut short, reset mid-body, not JSON) is set aside at once: every
further attempt would be bought again.

`resolve` is the seam to the API: it looks the barcode up, caches the answer and
returns what the scan came to (a `ScanResult`, `FOUND`); it raises `kiosk.api.errors`
exceptions. `chores` (optional) runs on this thread at start and with the housekeeping:
the lookups' money chores (reconciling today's spending with the API, settling answers
paid before a cut).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from kiosk.api.errors import (
    BadAnswer,
    NotFound,
    PermanentError,
    RateLimited,
    RetryableError,
    ServerError,
    TransportError,
)
from kiosk.backoff import Backoff
from kiosk.daemon._scan import ScanResult
from kiosk.daemon.systemd import event as journal_event
from kiosk.errors import KioskError, StoreError
from kiosk.outcome import Outcome
from kiosk.store.facade import Store
from kiosk.store.queue import QueuedItem

__all__ = ["DrainEvent", "Drainer"]

logger = logging.getLogger(__name__)

@dataclass(frozen=True)
class DrainEvent:
    """Told to the daemon (staff screen, journal) after each attempt.

    kind "resolved": the scan left the queue, and `result` says what it came to
    (`FOUND`, `NOT_FOUND`, or `CACHED` when its answer was already in the cache);
    "retry": it stays, for
    `reason`, next attempt in `retry_in_s`; "dropped": the API refused the request
    itself (400), asking again cannot help; "set_aside": it failed `max_failures` times
    for reasons of its own and is passed over.
    """

    kind: Literal["resolved", "retry", "dropped", "set_aside"]
    barcode: str
    result: ScanResult | None = None  # "resolved" only
    reason: str | None = None
    retry_in_s: float | None = None
    remaining: int = 0


class Drainer:
    """Start with `start()`, nudge with `wake()`, stop with `stop()` (Event + join)."""

    def __init__(
        self,
        store: Store,
        resolve: Callable[[str], ScanResult],
        on_event: Callable[[DrainEvent], None] | None = None,
        *,
        pace_s: float = 1.0,
        backoff_base_s: float = 1.0,
        backoff_cap_s: float = 60.0,
        housekeeping_s: float = 300.0,
        max_failures: int = 3,
        rng: random.Random | None = None,
        chores: Callable[[], None] | None = None,
    ) -> None:
        self._store = store
        self._chores = chores
        self._resolve = resolve
        self._on_event = on_event
        self.pace_s = pace_s
        self.housekeeping_s = housekeeping_s
        self.max_failures = max_failures
        self._backoff = Backoff(base=backoff_base_s, cap=backoff_cap_s, rng=rng)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._retry_now = threading.Event()
        self._not_before = 0.0  # monotonic: no attempt before this (pace or back-off)
        self._hold_until = 0.0  # monotonic: a 429's Retry-After, which wake() never cuts
        self._last_housekeeping = time.monotonic()
        self._chores_due = chores is not None
        self._failing: str | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("drainer already started")
        self._thread = threading.Thread(target=self._run, name="kiosk-drainer", daemon=True)
        self._thread.start()

    def wake(self, *, retry_now: bool = False) -> None:
        """Look at the queue now. `retry_now`: also cut a back-off (the network is back),
        and do the chores first (a check of today's spending missed while offline)."""
        if retry_now:
            self._chores_due = self._chores is not None
            self._retry_now.set()
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop after the current attempt; False if the thread did not end in `timeout`."""
        self._stop.set()
        self._wake.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        if self._thread.is_alive():
            logger.warning("drainer did not stop within %.1f s (a lookup is still running)",
                           timeout)
            return False
        return True

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- the loop ----------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._step()
            except StoreError as exc:
                delay = self._backoff.next_delay()
                logger.warning("drainer: the queue cannot be used (%s); retrying in %.0f s",
                               exc, delay)
                self._not_before = time.monotonic() + delay
            except Exception:
                delay = self._backoff.next_delay()
                logger.exception("drainer: unexpected error; retrying in %.0f s", delay)
                self._not_before = time.monotonic() + delay

    def _step(self) -> None:
        now = time.monotonic()
        due = now - self._last_housekeeping >= self.housekeeping_s
        if due or self._store.cache.access_flush_due:
            self._last_housekeeping = now
            self._store.housekeeping()
            self._store.follow_clock()
            self._chores_due |= due and self._chores is not None
        if self._chores_due and self._chores is not None:
            self._chores_due = False
            self._chores()
        if now < self._not_before:
            self._wait(self._not_before - now)
            if self._retry_now.is_set():
                self._retry_now.clear()
                self._not_before = self._hold_until
            return
        item = self._store.queue.peek()
        if item is None:
            self._backoff.reset()
            wait = max(0.0, self._last_housekeeping + self.housekeeping_s - now)
            self._wait(wait)
            return
        self._retry_now.clear()
        self._attempt(item)

    def _attempt(self, item: QueuedItem) -> None:
        store, barcode = self._store, item.barcode
        fetched_at = store.cache.fetched_at(barcode)
        if fetched_at is not None and fetched_at >= item.enqueued_at:
            store.queue.complete(barcode)
            self._emit(DrainEvent("resolved", barcode, ScanResult(Outcome.CACHED, barcode,
                                                                  from_cache=True)))
            return
        try:
            result = self._resolve(barcode)
        except RetryableError as exc:
            if isinstance(exc, RateLimited):
                delay = max(0.0, exc.retry_after)
                self._hold_until = time.monotonic() + delay
            else:
                delay = self._backoff.next_delay()
            # A 200 that could not be read was probably paid for: the item's own failure.
            # So is a request that went out twice and got no answer: it may have been.
            own = ((isinstance(exc, ServerError) and exc.status == 200)
                   or (isinstance(exc, TransportError) and exc.maybe_charged))
            self._failed(item, exc.reason, delay, own=own)
            return
        except BadAnswer as exc:
            # Charged for, retried once, still unusable: another try buys it again.
            self._failed(item, exc.reason, self.pace_s, own=True, at_once=True)
            return
        except NotFound:
            store.resolve_queued(barcode, None)
            self._succeeded(DrainEvent("resolved", barcode,
                                       ScanResult(Outcome.NOT_FOUND, barcode, reason="not_found")))
            return
        except PermanentError as exc:
            store.queue.complete(barcode)
            logger.warning("queued scan %s dropped: the API refused the request (%s: %s)",
                           barcode, exc.reason, exc)
            self._succeeded(DrainEvent("dropped", barcode, reason=exc.reason))
            return
        except StoreError as exc:
            # The answer was bought but could not be cached: keep the scan, slow down.
            self._failed(item, f"storage: {exc}", self._backoff.next_delay(), own=True)
            return
        except KioskError as exc:
            self._failed(item, f"{type(exc).__name__}: {exc}", self._backoff.next_delay(),
                         own=True)
            return
        except Exception as exc:  # a bug met this item: recorded, capped, never silent
            logger.exception("drainer: looking up %s failed unexpectedly", barcode)
            self._failed(item, f"internal error ({type(exc).__name__})",
                         self._backoff.next_delay(), own=True)
            return
        store.queue.complete(barcode)
        self._succeeded(DrainEvent("resolved", barcode, result))

    def _succeeded(self, event: DrainEvent) -> None:
        if self._failing is not None:
            logger.warning("queued scans are being looked up again (was: %s)", self._failing)
            self._failing = None
        self._backoff.reset()
        self._not_before = time.monotonic() + self.pace_s
        self._emit(event)

    def _failed(self, item: QueuedItem, reason: str, delay: float, *, own: bool = False,
                at_once: bool = False) -> None:
        self._not_before = time.monotonic() + delay
        try:
            failures = self._store.queue.record_failure(item.barcode, reason, own=own)
        except StoreError as exc:
            logger.debug("could not record the failure on %s: %s", item.barcode, exc)
            failures = item.attempts + 1 if own else 0
        if own and (at_once or failures >= self.max_failures):
            self._set_aside(item, reason, failures)
            return
        if self._failing != reason:
            logger.warning("queued scans wait: lookup of %s failed (%s); retrying with back-off",
                           item.barcode, reason)
            self._failing = reason
        else:
            logger.debug("lookup of %s failed again (%s); next try in %.1f s",
                         item.barcode, reason, delay)
        self._emit(DrainEvent("retry", item.barcode, reason=reason, retry_in_s=delay))

    def _set_aside(self, item: QueuedItem, reason: str, failures: int) -> None:
        try:
            self._store.queue.set_aside(item.barcode, reason)
        except StoreError as exc:
            logger.warning("queued scan %s could not be set aside (%s)", item.barcode, exc)
            return
        self._not_before = time.monotonic() + self.pace_s  # the next item does not wait
        journal_event(logger, logging.WARNING,
                      f"queued scan {item.barcode} set aside after {failures} failed lookups "
                      f"({reason}); the rest of the queue goes on. `kiosk status` lists it; "
                      "scanning it again retries it", kiosk_event="set_aside",
                      barcode=item.barcode, reason=reason, attempts=failures)
        self._emit(DrainEvent("set_aside", item.barcode, reason=reason))

    def _emit(self, event: DrainEvent) -> None:
        if self._on_event is None:
            return
        try:
            remaining = self._store.queue.stats().depth
        except StoreError:
            remaining = 0
        try:
            self._on_event(replace(event, remaining=remaining))
        except Exception:
            logger.exception("drain event handler failed on %s", event)

    def _wait(self, timeout: float) -> None:
        if self._wake.wait(timeout):
            self._wake.clear()
