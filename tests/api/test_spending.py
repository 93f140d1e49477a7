"""The spending guard: a sliding hour and day, kept across restarts, checked before a
lookup is sent; over it, the scan is queued with REASON=spend_limit."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from kiosk.api import SpendLimited
from kiosk.api.spending import SpendGuard
from kiosk.config import from_dict
from kiosk.daemon.lookups import Lookups
from kiosk.errors import ConfigError
from kiosk.store import Store
from tests.barcodes import CEREAL
from tests.helpers import FakeClock, mock_api


def test_the_hour_limit_queues_until_the_window_frees(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    guard = SpendGuard(per_hour=5.0, per_day=100.0, clock=clock, monotonic=clock)
    for _ in range(3):
        guard.check()
        guard.spent(1.3)
        clock.advance(600)
    guard.check()
    guard.spent(1.3)  # 5.2 credits within the hour
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            with pytest.raises(SpendLimited) as limited:
                guard.check()
    assert limited.value.reason == "spend_limit"
    # The first spend leaves the hour 3 * 600 s after it was made: 4.0 credits remain.
    assert limited.value.retry_after == pytest.approx(1800)
    assert len([r for r in caplog.records if "spending limit reached" in r.getMessage()]) == 1
    assert "api.max_credits_per_hour = 5" in str(limited.value)
    clock.advance(1800)
    guard.check()


def test_the_day_limit_and_no_limit() -> None:
    clock = FakeClock()
    guard = SpendGuard(per_hour=0, per_day=3.0, clock=clock, monotonic=clock)
    guard.spent(2.6)
    clock.advance(7200)
    guard.spent(1.3)
    with pytest.raises(SpendLimited) as limited:
        guard.check()
    assert "last day" in str(limited.value)
    unlimited = SpendGuard(per_hour=0, per_day=0, clock=clock, monotonic=clock)
    unlimited.spent(1e6)
    unlimited.check()


def test_spending_survives_a_restart(tmp_path: Path) -> None:
    clock = FakeClock()
    with Store.open(tmp_path / "state", tmp_path / "cache", clock=clock) as store:
        SpendGuard(5.0, 100.0, store.spending, clock, clock).spent(5.2)
    clock.advance(60)
    with (Store.open(tmp_path / "state", tmp_path / "cache", clock=clock) as store,
          pytest.raises(SpendLimited)):
        SpendGuard(5.0, 100.0, store.spending, clock, clock).check()  # a crash loop pays nothing


def test_the_running_total_outlives_the_pruned_rows_and_an_upgrade(tmp_path: Path) -> None:
    import sqlite3

    from kiosk.store.queue import QUEUE_MIGRATIONS

    clock = FakeClock()
    state = tmp_path / "state"
    with Store.open(state, tmp_path / "cache", clock=clock) as store:
        store.spending.record(clock(), 1.3)
    # A queue file of the release before the total: its rows are where the total starts.
    db = sqlite3.connect(state / "kiosk.db")
    db.execute("DROP TABLE spending_total")
    db.execute("DROP TABLE paid")
    db.execute(f"PRAGMA user_version={len(QUEUE_MIGRATIONS) - 2}")
    db.commit()
    db.close()
    with Store.open(state, tmp_path / "cache", clock=clock) as store:
        assert store.spending.total() == pytest.approx(1.3)
        clock.advance(3 * 86400)  # the row above is pruned by the next record
        store.spending.record(clock(), 2.5)
        assert store.spending.since(0) == [(clock(), 2.5)]
        assert store.spending.total() == pytest.approx(3.8)


def test_over_the_limit_a_scan_is_queued_without_a_request(tmp_path: Path) -> None:
    sent: list[str] = []

    def api(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        return httpx.Response(500)

    clock = FakeClock()
    guard = SpendGuard(1.0, 10.0, clock=clock, monotonic=clock)
    guard.spent(1.3)
    client = mock_api(api, tmp_path, spend=guard)
    with Store.open(tmp_path / "state", tmp_path / "cache") as store:
        answer = Lookups(store, client).lookup(CEREAL, "serial:0")
        assert (answer.outcome, answer.reason) == ("queued", "spend_limit")
        assert [i.barcode for i in store.queue.items()] == [CEREAL]
    assert sent == []
    assert client.state.last_error is not None and "spending limit" in client.state.last_error


def test_an_hour_may_not_allow_more_than_a_day() -> None:
    with pytest.raises(ConfigError) as bad:
        from_dict({"api": {"max_credits_per_hour": 500, "max_credits_per_day": 100}})
    assert "api.max_credits_per_hour: 500 is more than api.max_credits_per_day" in str(bad.value)
    from_dict({"api": {"max_credits_per_hour": 500, "max_credits_per_day": 0}})


def test_a_reservation_counts_its_price_until_it_is_settled_or_released() -> None:
    clock = FakeClock()
    guard = SpendGuard(per_hour=3.0, per_day=0.0, clock=clock, monotonic=clock)
    first, second = guard.reserve(1.3), guard.reserve(1.3)
    with pytest.raises(SpendLimited):
        guard.reserve(1.3)  # 3.9 would not fit: check and count are one step
    guard.release(second)  # nothing was charged (no connection, a 4xx)
    third = guard.reserve(1.3)
    guard.settle(first, 1.3)
    guard.settle(third, 1.3)
    assert guard.spent_within(3600) == pytest.approx(2.6)
    with pytest.raises(SpendLimited) as limited:
        guard.reserve(1.3)
    assert limited.value.retry_after == pytest.approx(3600)
    clock.advance(3600)
    guard.release(guard.reserve(1.3))
    # A price above the limit itself still goes through alone, in an empty window.
    tight = SpendGuard(per_hour=1.0, per_day=0.0, clock=clock, monotonic=clock)
    tight.settle(tight.reserve(1.3), 1.3)
    with pytest.raises(SpendLimited):
        tight.reserve(1.3)


def test_today_is_the_larger_of_the_kiosks_count_and_the_apis() -> None:
    clock = FakeClock(1_800_000_000.0 - 1_800_000_000.0 % 86400 + 3600)  # 01:00 UTC
    guard = SpendGuard(per_hour=0.0, per_day=5.0, clock=clock, monotonic=clock)
    clock.advance(-7200)  # yesterday, 23:00 UTC: inside the sliding day, not today
    guard.spent(1.3)
    clock.advance(7200)
    guard.spent(1.3)
    assert guard.spent_today() == pytest.approx(1.3)
    assert guard.reconcile(4.0) == pytest.approx(2.7)  # another client spent too
    clock.advance(1)
    guard.spent(0.3)
    assert guard.spent_today() == pytest.approx(4.3)
    with pytest.raises(SpendLimited):
        guard.reserve(1.3)  # 4.3 + 1.3 > 5: the API's count holds it back
    assert guard.reconcile(0.0) == pytest.approx(-1.6)  # the kiosk counted more
    assert guard.spent_today() == pytest.approx(1.6)


# --- a step of the wall clock (a Pi: boot at 1970 or a stale fake-hwclock, then NTP) -------

YEAR = 365 * 86400.0


@pytest.mark.parametrize("step", [YEAR, -YEAR], ids=["forward", "back"])
def test_a_clock_step_neither_forgets_spending_nor_holds_lookups_for_a_year(
        tmp_path: Path, step: float) -> None:
    wall, mono = FakeClock(1_800_000_000.0 + 3600), FakeClock(1000.0)
    with Store.open(tmp_path / "state", tmp_path / "cache", clock=wall) as store:
        guard = SpendGuard(5.0, 100.0, store.spending, wall, mono)
        guard.spent(5.2)
        assert guard.spent_today() == pytest.approx(5.2)
        wall.advance(step)  # NTP steps the clock
        mono.advance(60)
        with pytest.raises(SpendLimited) as limited:
            guard.check()  # not forgotten
        assert limited.value.retry_after == pytest.approx(3600 - 60)  # not a year
        assert guard.spent_today() == pytest.approx(5.2)  # spent a minute ago: today
        mono.advance(3600)
        guard.check()  # the hour has passed, whatever the wall clock says


@pytest.mark.parametrize("boot_at", [100.0, 1_800_000_000.0 - YEAR],
                         ids=["1970", "stale-fake-hwclock"])
def test_spending_written_before_a_boot_on_a_wrong_clock_still_counts(
        tmp_path: Path, boot_at: float) -> None:
    wall, mono = FakeClock(1_800_000_000.0), FakeClock(1000.0)
    with Store.open(tmp_path / "state", tmp_path / "cache", clock=wall) as store:
        SpendGuard(5.0, 100.0, store.spending, wall, mono).spent(5.2)
    wall.now, mono.now = boot_at, 5.0  # the power is cut; the Pi boots on a wrong clock
    with Store.open(tmp_path / "state", tmp_path / "cache", clock=wall) as store:
        guard = SpendGuard(5.0, 100.0, store.spending, wall, mono)
        with pytest.raises(SpendLimited):
            guard.check()  # rows from the clock's future count as spent just now
        wall.now = 1_800_000_000.0 + 120  # NTP
        mono.advance(120)
        with pytest.raises(SpendLimited):
            guard.check()
        mono.advance(3600)
        guard.check()


def test_spending_during_a_boot_at_1970_counts_after_ntp_and_a_restart(tmp_path: Path) -> None:
    """The daemon's guard stamps its rows on the store's clock (`Ledger.now`), whose
    stamps follow NTP's step: a restart afterwards reads them at their true age."""
    wall, mono = FakeClock(1_800_000_000.0), FakeClock(1000.0)
    dirs = (tmp_path / "state", tmp_path / "cache")
    with Store.open(*dirs, clock=wall, monotonic=mono) as store:
        store.queue.enqueue(CEREAL, "hid:0", "network")  # the kiosk's last stamp
    wall.now, mono.now = 100.0, 5.0  # a power cut; the Pi boots at 1970
    with Store.open(*dirs, clock=wall, monotonic=mono) as store:
        SpendGuard(5.0, 100.0, store.spending, monotonic=mono).spent(5.2)
        mono.advance(60)
        wall.now = 1_800_000_000.0 + 7200  # NTP: the power was off for two hours
        assert store.follow_clock() > 0
    mono.advance(10)
    with (Store.open(*dirs, clock=wall, monotonic=mono) as store,  # a crash, a restart
          pytest.raises(SpendLimited)):
        SpendGuard(5.0, 100.0, store.spending, monotonic=mono).check()
