"""The paint pacer as a table: the caller's clock, no screen."""

from __future__ import annotations

import pytest

from kiosk.daemon._pace import HOLD_S, Pacer

FRAME = 0.01


def test_a_lone_paint_never_waits_for_a_frame_slot() -> None:
    pacer = Pacer(FRAME, burst=2)
    pacer.painted(1.000)
    assert pacer.due(1.002) == 1.002  # a second card 2 ms after the first: at once


def test_past_the_burst_paints_come_one_frame_apart() -> None:
    pacer = Pacer(FRAME, burst=2)
    pacer.painted(1.000)
    pacer.painted(1.001)
    assert pacer.due(1.002) == pytest.approx(1.010, abs=1e-9)  # 1.1 - 2 + 0.2 tokens
    pacer.painted(pacer.due(1.002))
    assert pacer.due(1.0115) == pytest.approx(1.020, abs=1e-9)  # and again one frame on


def test_the_complete_card_of_the_early_card_goes_at_once_and_costs_nothing() -> None:
    pacer = Pacer(FRAME, burst=2)
    pacer.painted(1.000)
    pacer.painted(1.001)  # the early card, the last token
    assert pacer.due(1.002, completes=True) == 1.002
    pacer.painted(1.002, completes=True)
    assert pacer.due(1.002) > 1.002  # the bucket is as the early card left it


def test_the_bucket_refills_to_the_burst_and_no_further() -> None:
    pacer = Pacer(FRAME, burst=2)
    pacer.painted(1.0)
    for at in (5.0, 5.0001):
        assert pacer.due(at) == at
        pacer.painted(at)
    assert pacer.due(5.0002) > 5.0002


@pytest.mark.parametrize(("interval", "burst"), [(0.0, 2), (FRAME, 0)])
def test_a_pacer_that_could_never_paint_is_refused(interval: float, burst: int) -> None:
    with pytest.raises(ValueError):
        Pacer(interval, burst)


def test_an_early_card_whose_data_came_fast_waits_a_little_for_its_photo() -> None:
    pacer = Pacer(FRAME)
    assert pacer.due(1.005, early_scan_at=1.000) == pytest.approx(1.005 + HOLD_S)


def test_an_early_card_after_a_real_round_trip_is_painted_at_once() -> None:
    pacer = Pacer(FRAME)
    assert pacer.due(1.100, early_scan_at=1.000) == 1.100  # data after 100 ms


def test_a_held_early_card_still_waits_for_the_bucket() -> None:
    pacer = Pacer(0.5, burst=1)
    pacer.painted(1.000)
    assert pacer.due(1.001, early_scan_at=1.000) == pytest.approx(1.500)
