"""Scan results on their way to the main loop: bounded, coalesced, noise counted.

The main loop's queue must stay a `SimpleQueue` (signal handlers put into it), which has
no bound. So the scan worker does not put one event per result there: it puts results
here, and wakes the main loop with one `ScansReady` only when the outbox goes from
empty to not empty. However fast results come, the main loop's queue holds at most one
such event; the main loop takes everything at once when it next paints (`take`), paints
the newest, and journals each.

Invalid frames and double reads are the noise of a reader gone wild. Each costs a
journal line while they are few; past the `LineBudget` they are only counted (with the
frames the worker's inbox dropped unread) and summed up in one line per window. Of the
uncounted ones only the newest invalid frame is kept: it may still be what the screen
should show. Everything else is bounded by `max_records`, the oldest given up first,
counted as "unshown".
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from kiosk.daemon._scan import ScanResult
from kiosk.daemon.ratelimit import LineBudget, Suppressed
from kiosk.outcome import Outcome

__all__ = ["MAX_RECORDS", "Batch", "Outbox"]

MAX_RECORDS = 256
_NOISE = {Outcome.INVALID: "invalid", Outcome.DUPLICATE: "duplicate"}


@dataclass(frozen=True)
class Batch:
    """What the main loop takes at once: `records` to journal (in the order they came),
    and `quiet`, the newest invalid frame past the budget (for the screen only)."""

    records: list[ScanResult]
    quiet: ScanResult | None = None


class Outbox:
    """Thread-safe: `put` from the worker's lanes, the rest from the main loop."""

    def __init__(self, budget: LineBudget | None = None, max_records: int = MAX_RECORDS
                 ) -> None:
        self._budget = budget or LineBudget()
        self._max = max_records
        self._records: deque[ScanResult] = deque()
        self._quiet: ScanResult | None = None
        self._armed = False
        self._lock = threading.Lock()

    def put(self, record: ScanResult) -> bool:
        """Keep `record`; True when the main loop must be woken (nothing was waiting)."""
        with self._lock:
            kind = _NOISE.get(record.outcome)
            if kind is not None and not self._budget.allow(kind):
                if record.outcome is not Outcome.INVALID:
                    return False  # a double read shows nothing: no reason to wake
                if self._quiet is None or record.seq >= self._quiet.seq:
                    self._quiet = record
            else:
                if len(self._records) >= self._max:
                    self._records.popleft()
                    self._budget.count("unshown")
                self._records.append(record)
            # A complete card joining its early card, held back (`kiosk.daemon._pace`):
            # the main loop is told again, once per lookup, so it need not wait the hold.
            joins = not record.photo_pending and any(
                r.seq == record.seq and r.photo_pending for r in self._records)
            wake, self._armed = not self._armed or joins, True
            return wake

    def __len__(self) -> int:
        """Results waiting (the quiet one included)."""
        with self._lock:
            return len(self._records) + (self._quiet is not None)

    def completes(self, seq: int) -> bool:
        """Whether the complete result (photo drawn) of scan `seq` is waiting."""
        with self._lock:
            return any(r.seq == seq and not r.photo_pending for r in self._records)

    def waiting_early(self) -> ScanResult | None:
        """The newest result waiting, if it is an early card (no photo yet) whose
        complete card is not waiting too."""
        with self._lock:
            if not self._records or not self._records[-1].photo_pending:
                return None
            seq = self._records[-1].seq
            if any(r.seq == seq and not r.photo_pending for r in self._records):
                return None
            return self._records[-1]

    def dropped(self, kind: str, n: int = 1) -> None:
        """Count frames dropped before they became results (the worker's inbox)."""
        with self._lock:
            self._budget.count(f"dropped_{kind}", n)

    def take(self) -> Batch:
        """Everything waiting, at once; the next `put` wakes the main loop again."""
        with self._lock:
            batch = Batch(list(self._records), self._quiet)
            self._records.clear()
            self._quiet, self._armed = None, False
            return batch

    @property
    def summary_due(self) -> float | None:
        with self._lock:
            return self._budget.due

    def summary(self) -> Suppressed | None:
        """A closed window's counts, once (see `LineBudget.summary`)."""
        with self._lock:
            return self._budget.summary()
