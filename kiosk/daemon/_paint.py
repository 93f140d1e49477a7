"""Which scan result the screen shows, and the staff list: the main loop's bookkeeping.

Results come in batches: all that arrived since the last paint (`Outbox.take`). Of a
batch the newest in scan order is painted, unless a later scan is on screen already (a
slow lookup, or its photo, finishing after a quick cached card). A card drawn before
its photo arrived is drawn again with it, but listed and journalled once: the time of
its first paint (`FIRST_PAINT_MS`) is kept here until the complete card comes.

No screen and no clock here: the main loop passes the times in, so the ordering can be
tested as a table.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from kiosk.daemon._scan import ScanResult
from kiosk.daemon.outbox import Batch
from kiosk.daemon.present import recent_entry, screen_for
from kiosk.display.screens import RecentScan, ScreenState

__all__ = ["RECENT_MAX", "PaintOrder", "Plan"]

RECENT_MAX = 8  # lines of the staff list


@dataclass(frozen=True)
class Plan:
    """A batch's results with their screens (in the order they came), and the one to
    paint (`top`; None: nothing new to show)."""

    shown: list[tuple[ScanResult, ScreenState | None]]
    top: tuple[ScanResult, ScreenState] | None
    drawn_before: int  # the newest scan on screen before this batch
    completes: bool = False  # `top` is the complete card of the early card drawn last

    def drawn(self, record: ScanResult) -> bool:
        return self.top is not None and record is self.top[0]

    def covered(self, record: ScanResult, state: ScreenState | None) -> bool:
        """A later scan was on screen already: this one's screen is not drawn."""
        return state is not None and 0 < record.seq < self.drawn_before


class PaintOrder:
    """The newest scan drawn, the card waiting for its photo, and the staff list."""

    def __init__(self, recent_max: int = RECENT_MAX) -> None:
        self.recent: deque[RecentScan] = deque(maxlen=recent_max)
        self._drawn_seq = 0
        # The scan whose early card (no photo yet) is the last paint: its complete card
        # may go up at once (`kiosk.daemon._pace`). None once anything else is drawn.
        self.awaiting_photo: int | None = None
        # (seq, when) of the card drawn before its photo arrived: the one lookup in flight.
        self._first_paint: tuple[int, float] | None = None

    def plan(self, batch: Batch, credits_remaining: float | None, *, staff: bool) -> Plan:
        """Choose what to paint of `batch` (and list it, on a staff screen); the caller
        paints `top` and then settles each result with `settle`."""
        shown = [(r, screen_for(r, credits_remaining)) for r in batch.records]
        quiet = ([(batch.quiet, screen_for(batch.quiet, credits_remaining))]
                 if batch.quiet is not None else [])
        drawn_before = self._drawn_seq
        top: tuple[ScanResult, ScreenState] | None = None
        for record, state in [*shown, *quiet]:
            if state is None or (record.seq and record.seq < drawn_before):
                continue  # nothing to show, or a later scan is already on screen
            if top is None or not record.seq or record.seq >= top[0].seq:
                top = (record, state)
        if staff:
            self._list_recent(shown, top[0] if top else None)
        completes = False
        if top is not None:
            self._drawn_seq = max(self._drawn_seq, top[0].seq)
            early = _early(top[0])
            completes = not early and top[0].seq != 0 and top[0].seq == self.awaiting_photo
            self.awaiting_photo = top[0].seq if early and top[0].seq else None
        return Plan(shown, top, drawn_before, completes)

    def settle(self, record: ScanResult, painted_at: float | None) -> Paints | None:
        """When `record` was drawn and when its scan was first drawn; None for a card
        drawn before its photo: its journal entry waits for the complete card."""
        first = self._first_paint
        redraw = first is not None and record.seq != 0 and first[0] == record.seq
        if _early(record):
            self._first_paint = (record.seq, painted_at) if painted_at is not None else None
            return None
        first_at = painted_at
        if redraw:
            assert first is not None
            first_at, self._first_paint = first[1], None
        return Paints(painted_at, first_at)

    def list_resolved(self, result: ScanResult) -> None:
        """A queued scan the drainer resolved, on the staff list."""
        entry = recent_entry(result, resolved=True)
        if entry is not None:
            self.recent.appendleft(entry)

    def _list_recent(self, shown: list[tuple[ScanResult, ScreenState | None]],
                     top: ScanResult | None) -> None:
        """The staff list: each scan once, when first drawn (a card before its photo) or
        when its result came (everything else)."""
        first = self._first_paint
        for record, state in shown:
            redraw = first is not None and record.seq != 0 and first[0] == record.seq
            if state is None or redraw or (_early(record) and record is not top):
                continue
            entry = recent_entry(record)
            if entry is not None:
                self.recent.appendleft(entry)


@dataclass(frozen=True)
class Paints:
    """When a result was drawn (None: it was not) and when its scan was first drawn (the
    card before its photo; the same when drawn in one go)."""

    at: float | None
    first_at: float | None


def _early(record: ScanResult) -> bool:
    """The product data without its photo: the complete card follows."""
    return record.photo_pending
