"""What a scan means to people: the screen, the journal line, the staff list.

Kept apart from the daemon's threads and from pygame: every mapping here is a plain
function of its inputs (the time of day for the list aside) and can be tested as a
table. What the kiosk says about itself (STATUS=, the status bar) is `health`.
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from kiosk.api.errors import CredentialsRefused, InsufficientCredits
from kiosk.daemon._scan import ScanResult
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
from kiosk.prices import PriceEntry

__all__ = [
    "journal_fields",
    "journal_message",
    "price_fields",
    "recent_entry",
    "screen_for",
]


def screen_for(result: ScanResult, credits_remaining: float | None) -> ScreenState | None:
    """The screen a scan shows, or None when it shows nothing (a double read, the
    kiosk's own failure)."""
    if result.outcome is Outcome.INVALID:
        return Invalid(raw=result.barcode, reason=result.reason or "")
    if result.outcome is Outcome.DUPLICATE or result.internal:
        return None
    if result.outcome in SHOWS_PRODUCT and result.product is not None:
        offline = result.stale and result.error is not None
        return Card(product=result.product, image=result.image,
                    from_cache=result.from_cache, stale=result.stale, offline=offline,
                    credits_debited=result.credits, credits_remaining=credits_remaining,
                    photo_pending=result.photo_pending)
    if result.outcome is Outcome.NOT_FOUND:
        return NotFound(barcode=result.barcode)
    if result.outcome is Outcome.QUEUED:
        if isinstance(result.error, InsufficientCredits):
            return OutOfCredits(balance=credits_remaining)
        return Offline(barcode=result.barcode, saved=result.saved)
    if isinstance(result.error, CredentialsRefused):
        return Error("This kiosk cannot sign in to the product service. Please ask staff.")
    return Error(f"Could not look up {result.barcode}: {result.reason or 'error'}")


_LISTED = frozenset({Outcome.SHOWN, Outcome.CACHED, Outcome.QUEUED, Outcome.NOT_FOUND,
                     Outcome.INVALID})


def recent_entry(result: ScanResult, now: float | None = None, *,
                 resolved: bool = False) -> RecentScan | None:
    """A line for the staff recent-scans list (None for outcomes it does not list: a
    double read, a refused lookup). `resolved`: the drainer's, whatever the outcome."""
    if result.outcome not in _LISTED and not resolved:
        return None
    at = time.strftime("%H:%M", time.localtime(now))
    name = result.product.name if result.product else None
    return RecentScan(barcode=result.barcode, outcome=result.outcome, name=name, at=at,
                      resolved=resolved)


# REASON= too (a stale copy's as well)
_EXPLAINED = frozenset({Outcome.QUEUED, Outcome.ERROR, Outcome.NOT_FOUND, Outcome.INVALID,
                        Outcome.DUPLICATE})
_SAID = {
    Outcome.SHOWN: "looked up and shown", Outcome.CACHED: "shown from the cache",
    Outcome.NOT_FOUND: "not in the catalog", Outcome.INVALID: "invalid scan",
    Outcome.DUPLICATE: "double read ignored", Outcome.QUEUED: "saved for later",
    Outcome.ERROR: "lookup failed",
}


def journal_fields(result: ScanResult, latency_ms: float | None,
                   first_paint_ms: float | None = None, *,
                   today: date | None = None) -> dict[str, Any]:
    """The fields of the one journal entry every scan produces.

    `latency_ms`: scan to its complete screen; `first_paint_ms`: scan to the first paint
    of it (the card before its photo; the same as `latency_ms` when drawn in one go);
    `today` (the local date by default) decides whether a promotion runs.
    """
    fields: dict[str, Any] = {
        "kiosk_event": "scan", "barcode": result.barcode, "outcome": result.outcome,
        "source": result.source, "credits": result.credits,
        "request_id": result.request_id, "error_code": result.error_code,
    }
    if first_paint_ms is not None:
        fields["first_paint_ms"] = round(first_paint_ms, 1)
    if latency_ms is not None:
        fields["latency_ms"] = round(latency_ms, 1)
    if result.outcome in _EXPLAINED or result.stale:
        fields["reason"] = result.reason
    if result.stale:
        fields["stale"] = "yes"
    if result.price is not None:
        fields.update(price_fields(result.price, today or date.today()))
    return fields


def price_fields(entry: PriceEntry, today: date) -> dict[str, Any]:
    """`PRICE`, `PROMO` (while its promotion runs), `AGE_LIMIT`, `RECALL`: those the
    price file knows, as it wrote them (money exactly, never a float)."""
    fields: dict[str, Any] = {}
    if entry.price is not None:
        fields["price"] = str(entry.price)
    if (promo := entry.promo_on(today)) is not None:
        fields["promo"] = str(promo)
    if entry.age_limit:
        fields["age_limit"] = entry.age_limit
    if entry.recall is not None:
        fields["recall"] = entry.recall
    return fields


def journal_message(result: ScanResult) -> str:
    what = _SAID.get(result.outcome, result.outcome.value)
    message = f"scan {result.barcode}: {what}"
    if result.stale:
        message += " (stale, the API did not answer)"
    if result.outcome is Outcome.QUEUED:
        message += f" ({result.reason})" if result.saved else f" ({result.reason}; NOT on disk yet)"
    elif result.outcome in (Outcome.INVALID, Outcome.ERROR) and result.reason:
        message += f" ({result.reason})"
    if result.credits:
        message += f", {result.credits:g} credits"
    return message
