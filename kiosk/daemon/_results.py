"""What the main loop makes of results: a scan's paint, journal entry and metrics; the
drainer's resolved scans; the one line a window of reader noise costs.

Each scan gets exactly one journal entry, written once its complete screen is up, so
`FIRST_PAINT_MS` and `LATENCY_MS` are the shopper's waits (`kiosk.daemon._paint` keeps
the order and the times).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.daemon._board import StatusBoard
from kiosk.daemon._paint import PaintOrder, Paints
from kiosk.daemon._scan import ScanResult
from kiosk.daemon.drainer import DrainEvent
from kiosk.daemon.outbox import Batch
from kiosk.daemon.present import journal_fields, journal_message
from kiosk.daemon.ratelimit import Suppressed
from kiosk.daemon.systemd import event
from kiosk.display import Display
from kiosk.metrics import Metrics
from kiosk.outcome import Outcome

__all__ = ["AfterShow", "Painted", "Results"]

logger = logging.getLogger(__name__)

AfterShow = Callable[[ScanResult, Display], None]

_SUPPRESSED_LABELS = {
    "invalid": "invalid", "duplicate": "double reads",
    "dropped_invalid": "invalid, dropped unread", "dropped_repeat": "repeats, dropped unread",
    "dropped_valid": "VALID scans dropped unread (the reader sent faster than scans are "
                     "handled)", "unshown": "results neither drawn nor journalled",
}


@dataclass(frozen=True)
class Painted:
    """A paint of scan results: when (monotonic), and whether it was the complete card
    of the early card drawn last (`kiosk.daemon._pace`)."""

    at: float
    completes: bool


class Results:
    """Main thread only. `after_show` is called after each paint of a scan's screen;
    `credits` says what is left (the card's balance line)."""

    def __init__(self, display: Display, board: StatusBoard, order: PaintOrder, *,
                 credits: Callable[[], float | None], wake_drainer: Callable[[], None],
                 metrics: Metrics | None, after_show: AfterShow) -> None:
        self._display = display
        self._board = board
        self._order = order
        self._credits = credits
        self._wake_drainer = wake_drainer
        self._metrics = metrics
        self._after_show = after_show

    def show(self, batch: Batch) -> Painted | None:
        """Paint the newest of the results that came since the last paint, once, then
        journal each (in the order they came) with when it was drawn, if it was. When it
        painted, or None."""
        plan = self._order.plan(batch, self._credits(), staff=self._display.mode == "staff")
        if any(r.news for r in batch.records):
            self._board.changed()  # an API answer, or a queued scan
        painted_at = None
        if plan.top is not None:
            top, screen = plan.top
            self._board.show()
            self._display.show(screen)
            painted_at = time.monotonic()
            self._after_show(top, self._display)
        for record, state in plan.shown:
            self._scanned(record, plan.covered(record, state),
                          painted_at if plan.drawn(record) else None)
        return None if painted_at is None else Painted(painted_at, plan.completes)

    def _scanned(self, record: ScanResult, covered: bool, painted_at: float | None) -> None:
        """One result's journal entry and metrics (`covered`: a later scan was on screen
        already; `painted_at`: when it was drawn, None if it was not)."""
        early = record.photo_pending
        if not early and record.outcome is Outcome.QUEUED:
            self._wake_drainer()
        if covered and not early:
            logger.info("card for %s not drawn: a later scan is on screen", record.barcode)
        paints = self._order.settle(record, painted_at)
        if paints is None:  # the journal entry waits for the complete card
            return
        if self._metrics is not None:
            self._metrics.record_scan(record.outcome)
            if paints.at is not None and record.price is not None and record.price.recall:
                self._metrics.record_recall_shown()
            if paints.first_at is not None:
                self._metrics.observe_first_paint(paints.first_at - record.t_last)
        level = logging.WARNING if record.outcome is Outcome.ERROR else logging.INFO
        event(logger, level, journal_message(record),
              **journal_fields(record, *_ms_since(record.t_last, paints)))

    def drained(self, ev: DrainEvent) -> None:
        """The drainer tried a queued scan: the journal and the staff list say what came
        of it, the status bar the queue's new depth."""
        if ev.result is not None:  # resolved
            result = ev.result
            event(logger, logging.INFO, f"queued scan {result.barcode} resolved ({result.outcome})",
                  kiosk_event="resolved", barcode=result.barcode, outcome=result.outcome,
                  credits=result.credits)
            if self._display.mode == "staff":
                self._order.list_resolved(result)
        self._board.changed(bar=True)

    def suppressed(self, said: Suppressed | None) -> None:
        """The one line a window of noise costs, with each kind counted as a field."""
        if said is None:
            return
        noise = said.counts.get("invalid", 0) + said.counts.get("duplicate", 0)
        noise += said.counts.get("dropped_invalid", 0) + said.counts.get("dropped_repeat", 0)
        parts = ", ".join(f"{n} {_SUPPRESSED_LABELS.get(k, k)}"
                          for k, n in sorted(said.counts.items()))
        event(logger, logging.WARNING,
              f"suppressed {noise} invalid/duplicate frames in the last {said.seconds:.0f} s "
              f"({parts}); a reader at the wrong baud rate, or held over a code?",
              kiosk_event="suppressed", seconds=round(said.seconds, 1),
              **{k: n for k, n in said.counts.items()})
        if self._metrics is not None:  # every scan counted, journalled one by one or not
            for kind in ("invalid", "duplicate"):
                for _ in range(said.counts.get(kind, 0)):
                    self._metrics.record_scan(Outcome(kind))


def _ms_since(start: float, paints: Paints) -> tuple[float | None, float | None]:
    """Scan to its complete screen, and scan to its first paint, in ms (None: not drawn)."""
    def ms(end: float | None) -> float | None:
        return None if end is None else (end - start) * 1000

    return ms(paints.at), ms(paints.first_at)
