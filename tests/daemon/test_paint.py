"""The main loop's bookkeeping of scan results, without a screen or a clock: which result
of a batch is painted, which go on the staff list, and when each scan was first drawn."""

from __future__ import annotations

from kiosk.api.errors import BadRequest, ServerError
from kiosk.daemon import ScanResult
from kiosk.daemon._paint import PaintOrder, Paints
from kiosk.daemon.outbox import Batch
from kiosk.daemon.present import journal_fields, screen_for
from kiosk.display import Card, Error, Invalid
from kiosk.outcome import Outcome
from kiosk.product import Product
from tests.barcodes import CEREAL, FISH

OLDER, NEWER = FISH, CEREAL


def result(code: str, seq: int, outcome: Outcome = Outcome.SHOWN, **kw: object) -> ScanResult:
    product = Product.from_api({"product_meta": {"product_name": f"Name {code}"}}, barcode=code)
    return ScanResult(outcome, code, product, source="test", t_last=float(seq), seq=seq,
                      **kw)  # type: ignore[arg-type]


def test_a_newer_card_is_not_covered_by_an_older_lookups_late_photo() -> None:
    order = PaintOrder()
    early = result(OLDER, 1, photo_pending=True)
    first = order.plan(Batch([early]), None, staff=False)
    assert first.top is not None and first.top[0] is early
    assert order.settle(early, 10.0) is None  # its journal entry waits for the photo

    newer, late = result(NEWER, 2, Outcome.CACHED, from_cache=True), result(OLDER, 1)
    second = order.plan(Batch([newer, late]), None, staff=False)
    assert second.top is not None and second.top[0] is newer
    assert not second.drawn(late)
    assert order.settle(newer, 20.0) == Paints(20.0, 20.0)
    assert order.settle(late, None) == Paints(None, 10.0)  # first drawn, never complete


def test_only_the_complete_card_of_the_early_card_drawn_last_completes_it() -> None:
    order = PaintOrder()
    assert not order.plan(Batch([result(OLDER, 1, photo_pending=True)]), None,
                          staff=False).completes
    assert order.awaiting_photo == 1
    assert order.plan(Batch([result(OLDER, 1)]), None, staff=False).completes
    assert order.awaiting_photo is None

    order.plan(Batch([result(OLDER, 2, photo_pending=True)]), None, staff=False)
    order.plan(Batch([result(NEWER, 3, Outcome.CACHED, from_cache=True)]), None, staff=False)
    assert order.awaiting_photo is None  # another card was drawn in between
    assert not order.plan(Batch([result(OLDER, 2)]), None, staff=False).completes


def test_a_result_older_than_the_screen_is_covered() -> None:
    order = PaintOrder()
    order.plan(Batch([result(NEWER, 5)]), None, staff=False)
    plan = order.plan(Batch([result(OLDER, 3)]), None, staff=False)
    (older, state), = plan.shown
    assert plan.top is None and plan.covered(older, state)


def test_the_staff_list_has_each_scan_once_and_no_double_reads() -> None:
    order = PaintOrder()
    early = result(OLDER, 1, photo_pending=True)
    order.plan(Batch([early]), None, staff=True)
    order.settle(early, 1.0)
    double = ScanResult(Outcome.DUPLICATE, NEWER, reason="double read", seq=3)
    invalid = ScanResult(Outcome.INVALID, "12x", reason="bad length", seq=4)
    order.plan(Batch([result(OLDER, 1), double], invalid), None, staff=True)
    assert [(e.barcode, e.outcome, e.name) for e in order.recent] == [
        (OLDER, Outcome.SHOWN, f"Name {OLDER}")]  # the quiet invalid frame: screen only
    order.plan(Batch([invalid]), None, staff=True)
    order.list_resolved(ScanResult(Outcome.FOUND, NEWER, credits=1.3))
    assert [(e.barcode, e.resolved) for e in order.recent] == [
        (NEWER, True), ("12x", False), (OLDER, False)]


def test_the_newest_quiet_invalid_frame_is_still_shown() -> None:
    plan = PaintOrder().plan(
        Batch([result(OLDER, 1)], ScanResult(Outcome.INVALID, "12x", reason="bad", seq=2)),
        None, staff=False)
    assert plan.top is not None and plan.top[1] == Invalid(raw="12x", reason="bad")


def test_one_value_from_the_lookup_to_the_screen_and_the_journal() -> None:
    stale = result(OLDER, 7, Outcome.CACHED, stale=True, from_cache=True, reason="server_error",
                   error=ServerError("503", status=503))
    card = screen_for(stale, 12.5)
    assert isinstance(card, Card) and card.offline and card.credits_remaining == 12.5
    assert not stale.news and result(OLDER, 8).news
    fields = journal_fields(stale, 40.0, 30.0)
    assert (fields["barcode"], fields["outcome"], fields["source"], fields["reason"],
            fields["stale"], fields["latency_ms"], fields["first_paint_ms"]) == (
        OLDER, Outcome.CACHED, "test", "server_error", "yes", 40.0, 30.0)


def test_the_kiosks_own_failure_shows_nothing_an_api_refusal_does() -> None:
    bug = ScanResult(Outcome.ERROR, "0123", reason="internal error")
    refused = ScanResult(Outcome.ERROR, OLDER, reason="bad_request",
                         error=BadRequest("400", status=400))
    assert bug.internal and not bug.news and screen_for(bug, None) is None
    assert screen_for(refused, None) == Error(f"Could not look up {OLDER}: bad_request")
