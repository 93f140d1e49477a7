"""What a scan means to people: the screen, the journal line, the staff list.

Kept apart from the daemon's threads and from pygame: every mapping here is a plain
function of its inputs (the time of day for the list aside) and can be tested as a
table. What the kiosk says about itself (STATUS=, the status bar) is `health`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from kiosk.api.errors import CredentialsRefused, InsufficientCredits
from kiosk.daemon.lookups import ScanAnswer
from kiosk.display.screens import (
    Card,
    Error,
    Invalid,
    NotFound,
    Offline,
    OutOfCredits,
    RecentScan,
    ScreenState,
)
from kiosk.outcome import SHOWS_PRODUCT, Outcome
from kiosk.product import Product

__all__ = [
    "ScanRecord",
    "journal_fields",
    "journal_message",
    "recent_entry",
    "screen_for",
]


@dataclass(frozen=True)
class ScanRecord:
    """One scan's result as the main loop receives it from the scan worker."""

    outcome: Outcome
    barcode: str  # normalized; the printable raw text for an invalid scan
    source: str
    t_last: float  # monotonic time of the scan's last byte/key
    answer: ScanAnswer | None = None  # `photo_pending`: an early record, the final follows
    reason: str | None = None  # why invalid / queued / error
    seq: int = 0  # scan order; a record older than the card on screen is not drawn


def screen_for(record: ScanRecord, credits_remaining: float | None) -> ScreenState | None:
    """The screen a scan shows, or None when it shows nothing (a double read)."""
    answer = record.answer
    if record.outcome is Outcome.INVALID:
        return Invalid(raw=record.barcode, reason=record.reason or "")
    if record.outcome is Outcome.DUPLICATE or answer is None:
        return None
    if record.outcome in SHOWS_PRODUCT and answer.product is not None:
        offline = answer.stale and answer.error is not None
        return Card(product=answer.product, image=answer.image,
                    from_cache=answer.from_cache, stale=answer.stale, offline=offline,
                    credits_debited=answer.credits, credits_remaining=credits_remaining,
                    photo_pending=answer.photo_pending)
    if record.outcome is Outcome.NOT_FOUND:
        return NotFound(barcode=answer.barcode)
    if record.outcome is Outcome.QUEUED:
        if isinstance(answer.error, InsufficientCredits):
            return OutOfCredits(balance=credits_remaining)
        return Offline(barcode=answer.barcode, saved=answer.saved)
    if isinstance(answer.error, CredentialsRefused):
        return Error("This kiosk cannot sign in to the product service. Please ask staff.")
    return Error(f"Could not look up {answer.barcode}: {answer.reason or 'error'}")


_LISTED = frozenset({Outcome.SHOWN, Outcome.CACHED, Outcome.QUEUED, Outcome.NOT_FOUND,
                     Outcome.INVALID})


def recent_entry(outcome: Outcome, barcode: str, product: Product | None = None,
                 now: float | None = None, *, resolved: bool = False) -> RecentScan | None:
    """A line for the staff recent-scans list (None for outcomes it does not list: a
    double read, a refused lookup). `resolved`: the drainer's, whatever the outcome."""
    if outcome not in _LISTED and not resolved:
        return None
    at = time.strftime("%H:%M", time.localtime(now))
    name = product.name if product else None
    return RecentScan(barcode=barcode, outcome=outcome, name=name, at=at, resolved=resolved)


_EXPLAINED = frozenset({Outcome.QUEUED, Outcome.ERROR, Outcome.NOT_FOUND})  # REASON= too
_SAID = {
    Outcome.SHOWN: "looked up and shown", Outcome.CACHED: "shown from the cache",
    Outcome.NOT_FOUND: "not in the catalog", Outcome.INVALID: "invalid scan",
    Outcome.DUPLICATE: "double read ignored", Outcome.QUEUED: "saved for later",
    Outcome.ERROR: "lookup failed",
}


def journal_fields(record: ScanRecord, latency_ms: float | None,
                   first_paint_ms: float | None = None) -> dict[str, Any]:
    """The fields of the one journal entry every scan produces.

    `latency_ms`: scan to its complete screen; `first_paint_ms`: scan to the first paint
    of it (the card before its photo; the same as `latency_ms` when drawn in one go).
    """
    answer = record.answer
    fields: dict[str, Any] = {
        "kiosk_event": "scan", "barcode": record.barcode, "outcome": record.outcome,
        "source": record.source, "credits": answer.credits if answer else 0.0,
    }
    if first_paint_ms is not None:
        fields["first_paint_ms"] = round(first_paint_ms, 1)
    if latency_ms is not None:
        fields["latency_ms"] = round(latency_ms, 1)
    if answer is not None:
        fields["request_id"] = answer.request_id
        fields["error_code"] = answer.error_code
        if record.outcome in _EXPLAINED or answer.stale:
            fields["reason"] = answer.reason
        if answer.stale:
            fields["stale"] = "yes"
    if record.reason and record.outcome in (Outcome.INVALID, Outcome.DUPLICATE):
        fields["reason"] = record.reason
    return fields


def journal_message(record: ScanRecord) -> str:
    answer = record.answer
    what = _SAID.get(record.outcome, record.outcome.value)
    message = f"scan {record.barcode}: {what}"
    if answer is not None and answer.stale:
        message += " (stale, the API did not answer)"
    if record.outcome is Outcome.QUEUED and answer is not None:
        message += f" ({answer.reason})" if answer.saved else f" ({answer.reason}; NOT on disk yet)"
    elif record.outcome in (Outcome.INVALID, Outcome.ERROR) and record.reason:
        message += f" ({record.reason})"
    if answer is not None and answer.credits:
        message += f", {answer.credits:g} credits"
    return message
