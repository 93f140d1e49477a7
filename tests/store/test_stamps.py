"""The store's times across a step of the wall clock by a year either way: a Pi booting
at 1970 or at a stale fake-hwclock time, then NTP. Nothing cached expires by a step,
nothing expired is kept for ever, and an answer is never older than its queued scan."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.store import CachedMiss, CacheHit, Store
from tests.barcodes import CEREAL, FISH, SNACK
from tests.helpers import FakeClock
from tests.store.store_helpers import product

YEAR = 365 * 86400.0
NOW = 1_800_000_000.0
TTL, MISS_TTL = 7 * 86400.0, 3600.0


class Kiosk:
    """A store on files, opened as the daemon opens it, on a wall clock and a monotonic
    one the test moves."""

    def __init__(self, tmp_path: Path) -> None:
        self.dirs = (tmp_path / "state", tmp_path / "cache")
        self.wall, self.mono = FakeClock(NOW), FakeClock(1000.0)
        self.store = self.open()

    def open(self) -> Store:
        return Store.open(*self.dirs, product_ttl_s=TTL, miss_ttl_s=MISS_TTL,
                          clock=self.wall, monotonic=self.mono)

    def reboot(self, wall: float) -> None:
        self.store.close()
        self.wall.now, self.mono.now = wall, 3.0
        self.store = self.open()

    def passes(self, seconds: float) -> None:
        self.wall.advance(seconds)
        self.mono.advance(seconds)

    def hit(self, barcode: str) -> CacheHit:
        got = self.store.cache.get(barcode)
        assert isinstance(got, CacheHit), got
        return got


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    k = Kiosk(tmp_path)
    yield k
    k.store.close()


@pytest.mark.parametrize("boot_at", [100.0, NOW - YEAR], ids=["1970", "stale-fake-hwclock"])
def test_a_boot_on_a_wrong_clock_then_ntp_expires_nothing(kiosk: Kiosk, boot_at: float) -> None:
    kiosk.store.cache.put(CEREAL, product(CEREAL), b"jpeg", credits=1.3)
    kiosk.passes(600)
    kiosk.reboot(boot_at)  # a power cut; the Pi boots with no real-time clock
    assert kiosk.store.cache.get(CEREAL) is not None
    kiosk.store.queue.enqueue(FISH, "hid:0", "network", scanned_at=boot_at)
    kiosk.store.cache.put(SNACK, product(SNACK), b"jpeg", credits=1.3)
    kiosk.store.cache.put_miss("4006381333931")
    kiosk.mono.advance(120)
    kiosk.wall.now = NOW + 3600  # NTP answers: a step of up to 56 years forward
    assert kiosk.store.follow_clock() > 60  # taken up with the housekeeping
    assert kiosk.store.follow_clock() == 0.0  # once
    assert not kiosk.hit(CEREAL).stale and not kiosk.hit(SNACK).stale
    assert isinstance(kiosk.store.cache.get("4006381333931"), CachedMiss)
    oldest = kiosk.store.queue.stats().oldest_age_s
    assert oldest is not None and 0 <= oldest <= 121  # two minutes, not 56 years
    kiosk.store.cache.put(FISH, product(FISH), b"jpeg", credits=1.3)  # the queued scan's answer
    item = kiosk.store.queue.peek()
    fetched = kiosk.store.cache.fetched_at(FISH)
    assert item is not None and fetched is not None and fetched >= item.enqueued_at
    # The next boot, on the right clock, finds every time in its frame.
    kiosk.passes(60)
    kiosk.reboot(kiosk.wall.now + 5)
    assert not kiosk.hit(SNACK).stale
    oldest = kiosk.store.queue.stats().oldest_age_s
    assert oldest is not None and oldest < 600


def test_a_step_forward_within_a_boot_ages_nothing(kiosk: Kiosk) -> None:
    kiosk.store.cache.put(CEREAL, product(CEREAL), b"jpeg", credits=1.3)
    kiosk.store.queue.enqueue(FISH, "hid:0", "network")
    kiosk.mono.advance(60)
    kiosk.wall.advance(YEAR)
    assert not kiosk.hit(CEREAL).stale  # before the housekeeping takes it up, too
    assert kiosk.store.follow_clock() == pytest.approx(YEAR - 60)
    assert not kiosk.hit(CEREAL).stale
    assert kiosk.store.queue.stats().oldest_age_s == pytest.approx(60)
    kiosk.store.cache.put(FISH, product(FISH), b"jpeg")
    item, fetched = kiosk.store.queue.peek(), kiosk.store.cache.fetched_at(FISH)
    assert item is not None and fetched is not None and fetched >= item.enqueued_at
    kiosk.passes(TTL)
    assert kiosk.hit(CEREAL).stale  # its lifetime runs on as before


def test_a_step_back_reopens_nothing_and_keeps_nothing_for_ever(kiosk: Kiosk) -> None:
    kiosk.store.cache.put(CEREAL, product(CEREAL), b"jpeg", credits=1.3)
    kiosk.store.cache.put_miss("4006381333931")
    kiosk.store.queue.enqueue(FISH, "hid:0", "network")
    kiosk.wall.advance(-YEAR)  # NTP steps a clock that ran a year ahead back
    kiosk.mono.advance(60)
    assert kiosk.store.follow_clock() == 0.0  # never followed back
    # A crash between caching the queued scan's answer and dequeuing it: the answer is
    # newer than the scan, so the drainer dequeues it without buying it again.
    kiosk.store.cache.put(FISH, product(FISH), b"jpeg", credits=1.3)
    item, fetched = kiosk.store.queue.peek(), kiosk.store.cache.fetched_at(FISH)
    assert item is not None and fetched is not None and fetched >= item.enqueued_at
    assert isinstance(kiosk.store.cache.get("4006381333931"), CachedMiss)
    kiosk.mono.advance(MISS_TTL)  # an hour later by the monotonic clock: not a year
    assert kiosk.store.cache.get("4006381333931") is None
    assert not kiosk.hit(CEREAL).stale
    kiosk.mono.advance(TTL)
    assert kiosk.hit(CEREAL).stale  # not fresh for a year and a week
    # After a restart on the clock that is still behind, the same: the newest stamp
    # (here the card's last showing, written at the close) is where the clock starts.
    kiosk.reboot(kiosk.wall.now + 10)
    assert kiosk.hit(CEREAL).stale
    assert kiosk.store.cache.fetched_at(FISH) is not None
