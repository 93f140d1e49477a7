"""A scan's price journal fields and the recall counter, as plain functions of their inputs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kiosk.daemon import ScanResult
from kiosk.daemon.present import journal_fields, price_fields
from kiosk.metrics import Metrics
from kiosk.outcome import Outcome
from kiosk.prices import PriceEntry
from kiosk.scanner import Scan
from tests.barcodes import FISH
from tests.test_metrics import parse

PROMO = PriceEntry(FISH, Decimal("2.50"), Decimal("1.99"), date(2026, 12, 1),
                   date(2026, 12, 31), age_limit=18)


@pytest.mark.parametrize(("day", "promo"), [
    (date(2026, 11, 30), None), (date(2026, 12, 1), "1.99"), (date(2026, 12, 31), "1.99"),
    (date(2027, 1, 1), None)])
def test_a_promotion_is_journalled_only_on_its_days_first_and_last_included(
        day: date, promo: str | None) -> None:
    fields = price_fields(PROMO, day)
    assert (fields["price"], fields.get("promo"), fields["age_limit"]) == ("2.50", promo, 18)
    assert "recall" not in fields


def test_only_what_the_file_knows_is_journalled_money_as_written() -> None:
    assert price_fields(PriceEntry(FISH), date(2026, 12, 8)) == {}
    assert price_fields(PriceEntry(FISH, Decimal("1.10"), age_limit=0), date(2026, 12, 8)) == {
        "price": "1.10"}  # never 1.1, never a float; an age limit of 0 is none
    recall = PriceEntry(FISH, recall="Recalled: glass, do not eat")
    assert price_fields(recall, date(2026, 12, 8)) == {"recall": "Recalled: glass, do not eat"}


def test_a_scans_entry_carries_its_price_fields_and_none_without_an_entry() -> None:
    scan = Scan(FISH, "fake:0", t_last=1.0)
    with_price = ScanResult(Outcome.CACHED, FISH, from_cache=True).of_scan(scan, 1, PROMO)
    fields = journal_fields(with_price, 12.0, today=date(2026, 12, 8))
    assert (fields["barcode"], fields["price"], fields["promo"], fields["age_limit"]) == (
        FISH, "2.50", "1.99", 18)
    without = ScanResult(Outcome.NOT_FOUND, FISH, reason="not_found").of_scan(scan, 2)
    assert without.price is None
    assert not {"price", "promo", "age_limit", "recall"} & journal_fields(without, 9.0).keys()


def test_recalls_shown_are_counted() -> None:
    metrics = Metrics(started_at=0.0)
    assert parse(metrics.render())[1][("kiosk_recalls_shown_total", frozenset())] == 0
    metrics.record_recall_shown()
    metrics.record_recall_shown()
    types, samples = parse(metrics.render())
    assert types["kiosk_recalls_shown_total"] == "counter"
    assert samples[("kiosk_recalls_shown_total", frozenset())] == 2
