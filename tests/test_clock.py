"""The clock's pure parts: the skew from a `Date` header, a span in words, and the
steady wall clock across steps of a year either way."""

from __future__ import annotations

import pytest

from kiosk.clock import SteadyClock, describe_span, skew_from_date, utc_text
from tests.helpers import FakeClock

YEAR = 365 * 86400.0
NOW = 1_800_000_000.0  # 2027-01-15 08:00 UTC


@pytest.mark.parametrize(("header", "skew"), [
    ("Fri, 15 Jan 2027 08:00:00 GMT", 0.0),
    ("Fri, 15 Jan 2027 07:55:00 GMT", 300.0),  # the kiosk is ahead
    ("Fri, 15 Jan 2027 08:00:00 -0000", 0.0),  # "-0000": UTC as well
    ("Friday, 15-Jan-27 08:00:00 GMT", 0.0),  # RFC 850, which HTTP still accepts
    (None, None), ("", None), ("yesterday", None), ("Fri, 99 Foo 2027 08:00:00 GMT", None),
])
def test_the_skew_from_a_date_header(header: str | None, skew: float | None) -> None:
    assert skew_from_date(header, NOW) == skew


@pytest.mark.parametrize(("seconds", "words"), [
    (0.4, "less than a second"), (59.0, "59 seconds"), (-301.0, "5 minutes 1 second"),
    (4 * 3600 + 600, "4 hours 10 minutes"), (2 * YEAR + 3 * 86400 - 1.4, "2 years 3 days"),
    (3599.6, "1 hour"),
])
def test_a_span_in_words(seconds: float, words: str) -> None:
    assert describe_span(seconds) == words


def test_utc_text() -> None:
    assert utc_text(NOW) == "2027-01-15 08:00 UTC"
    assert utc_text(0.0) == "1970-01-01 00:00 UTC"


def test_the_steady_clock_runs_on_the_monotonic_clock_and_moves_only_when_told() -> None:
    wall, mono = FakeClock(NOW), FakeClock(50.0)
    clock = SteadyClock(wall, mono)
    assert clock() == NOW
    wall.advance(YEAR)  # NTP: forward
    mono.advance(1.0)
    assert clock() == NOW + 1.0 and clock.wall_ahead() == YEAR - 1.0
    assert clock.from_wall(wall.now - 2.0) == NOW - 1.0  # a scan two seconds ago
    clock.adopt(clock.wall_ahead())
    assert clock() == wall.now
    wall.advance(-2 * YEAR)  # back: absorbed
    mono.advance(10.0)
    assert clock() == NOW + YEAR + 10.0 and clock.wall_ahead() == -(2 * YEAR + 10.0)
    clock.adopt(-5.0)  # never back
    assert clock() == NOW + YEAR + 10.0


def test_the_steady_clock_starts_at_its_floor_after_a_boot_at_1970() -> None:
    wall, mono = FakeClock(10.0), FakeClock(5.0)
    clock = SteadyClock(wall, mono, floor=NOW)
    mono.advance(60.0)
    assert clock() == NOW + 60.0
    assert SteadyClock(FakeClock(NOW), mono, floor=NOW - YEAR)() == NOW  # a floor in the past
