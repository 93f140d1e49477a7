"""Back-off with full jitter and `Retry-After` parsing (kiosk/backoff.py): the API client,
its token refresher and the queue's drainer all wait by these rules."""

from __future__ import annotations

import random

import pytest

from kiosk.backoff import MAX_WAIT_S, Backoff, parse_retry_after


def test_full_jitter_stays_under_the_exponential_cap() -> None:
    backoff = Backoff(base=1.0, cap=8.0, rng=random.Random(1))
    ceilings = [1, 2, 4, 8, 8, 8]
    for ceiling in ceilings:
        delay = backoff.next_delay()
        assert 0 <= delay <= ceiling
    backoff.reset()
    assert backoff.next_delay() <= 1


def test_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("7") == 7
    # An HTTP-date is measured against the answer's own Date header ...
    assert parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT",
                             server_date="Wed, 21 Oct 2026 07:27:50 GMT", now=0.0) == 10
    # ... else against the kiosk's clock when it is set ...
    assert parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT", now=1792567670.0) == 10
    # ... and a clock still at 1970 (no RTC, no NTP yet) waits the longest sane time.
    assert parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT", now=60.0) == MAX_WAIT_S
    assert parse_retry_after("garbage", default=3) == 3
    assert parse_retry_after(None, default=2) == 2


@pytest.mark.parametrize("value,expected", [
    ("1e9", MAX_WAIT_S), ("inf", MAX_WAIT_S), ("-5", 0.0), ("nan", 1.0), ("86400", MAX_WAIT_S),
    ("Wed, 21 Oct 2099 07:28:00 GMT", MAX_WAIT_S), ("Wed, 21 Oct 1999 07:28:00 GMT", 0.0),
    ("Wed, 99 Oct 2026 07:28:00 GMT", 1.0)])
def test_retry_after_is_clamped(value: str, expected: float) -> None:
    assert parse_retry_after(value, now=1792567670.0) == expected
