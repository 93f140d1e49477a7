"""The drainer against a scripted `resolve` (the seam where the real API client plugs in)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.api.errors import (
    BadAnswer,
    BadRequest,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
)
from kiosk.daemon import ScanResult
from kiosk.daemon.drainer import Drainer, DrainEvent
from kiosk.outcome import Outcome
from kiosk.store import CachedMiss, CacheHit, Store
from tests.barcodes import CEREAL, FISH, SNACK
from tests.helpers import FakeClock
from tests.store.store_helpers import product

TIMEOUT = 10.0  # safety net only


class Script:
    """A fake API: per barcode, a list of exceptions to raise before succeeding."""

    def __init__(self, store: Store, failures: dict[str, list[Exception]] | None = None) -> None:
        self.store = store
        self.failures = failures or {}
        self.calls: list[str] = []

    def __call__(self, barcode: str) -> ScanResult:
        self.calls.append(barcode)
        pending = self.failures.get(barcode, [])
        if pending:
            raise pending.pop(0)
        self.store.cache.put(barcode, product(barcode), b"jpeg", credits=1.3)
        return ScanResult(Outcome.FOUND, barcode, credits=1.3)


@pytest.fixture
def events() -> queue.Queue[DrainEvent]:
    return queue.Queue()


@pytest.fixture
def start(file_store: Store, events: queue.Queue[DrainEvent]
          ) -> Iterator[Callable[..., Drainer]]:
    drainers: list[Drainer] = []

    def make(resolve: Callable[[str], ScanResult], **kw: float) -> Drainer:
        opts = {"pace_s": 0.0, "backoff_base_s": 0.001, "backoff_cap_s": 0.01, **kw}
        d = Drainer(file_store, resolve, events.put, **opts)  # type: ignore[arg-type]
        drainers.append(d)
        d.start()
        return d

    yield make
    for d in drainers:
        assert d.stop(timeout=TIMEOUT)


def resolved(event: DrainEvent) -> tuple[Outcome, float]:
    """What a resolved scan came to: its outcome and the credits it cost."""
    assert event.kind == "resolved" and event.result is not None, event
    return event.result.outcome, event.result.credits


def take(events: queue.Queue[DrainEvent], n: int) -> list[DrainEvent]:
    return [events.get(timeout=TIMEOUT) for _ in range(n)]


def test_drains_in_order_and_reports_credits(
    file_store: Store, start: Callable[..., Drainer], events: queue.Queue[DrainEvent]
) -> None:
    for barcode in [FISH, CEREAL, "04963406", FISH]:
        file_store.queue.enqueue(barcode, "hid:0", "network")
    script = Script(file_store)
    start(script)
    got = take(events, 3)
    assert script.calls == [FISH, CEREAL, "04963406"]  # deduped, FIFO
    assert [resolved(e) for e in got] == [("found", 1.3)] * 3
    assert [e.remaining for e in got] == [2, 1, 0]
    assert file_store.queue.stats().depth == 0
    assert isinstance(file_store.cache.get("04963406"), CacheHit)


def test_retryable_failures_keep_the_item_and_block_the_rest(
    file_store: Store, start: Callable[..., Drainer], events: queue.Queue[DrainEvent]
) -> None:
    file_store.queue.enqueue(FISH, "hid:0", "network")
    file_store.queue.enqueue(CEREAL, "hid:0", "network")
    script = Script(file_store, {FISH: [
        TransportError("connect refused"), ServerError("502", status=502, code=None),
        TransportError("timeout")]})
    start(script)
    got = take(events, 5)
    assert [(e.kind, e.reason) for e in got[:3]] == [
        ("retry", "network"), ("retry", "server_error"), ("retry", "network")]
    assert all(e.retry_in_s is not None and 0 <= e.retry_in_s <= 0.01 for e in got[:3])
    assert script.calls == [FISH] * 4 + [CEREAL]
    assert [(e.kind, e.barcode) for e in got[3:]] == [
        ("resolved", FISH), ("resolved", CEREAL)]


def test_failure_is_recorded_on_the_item(
    file_store: Store, start: Callable[..., Drainer], events: queue.Queue[DrainEvent]
) -> None:
    file_store.queue.enqueue(FISH, "hid:0", "network")
    start(Script(file_store, {FISH: [TransportError("down")] * 100}),
          backoff_base_s=0.001, backoff_cap_s=0.001)
    take(events, 3)
    stats = file_store.queue.stats()
    assert stats.depth == 1 and stats.last_error == "network"
    item = file_store.queue.peek()
    assert item is not None and item.attempts >= 3


def test_rate_limited_waits_retry_after(
    file_store: Store, start: Callable[..., Drainer], events: queue.Queue[DrainEvent]
) -> None:
    file_store.queue.enqueue(FISH, "hid:0", "network")
    start(Script(file_store, {FISH: [
        RateLimited("slow down", retry_after=0.05, status=429, code="rate_limited")]}))
    retry, resolved = take(events, 2)
    assert (retry.kind, retry.reason, retry.retry_in_s) == ("retry", "rate_limited", 0.05)
    assert resolved.kind == "resolved"


def test_not_found_is_cached_as_a_miss_and_bad_request_dropped(
    file_store: Store, start: Callable[..., Drainer], events: queue.Queue[DrainEvent]
) -> None:
    file_store.queue.enqueue("099999999993", "hid:0", "network")
    file_store.queue.enqueue("000000000017", "hid:0", "network")
    start(Script(file_store, {
        "099999999993": [NotFound("no such barcode", status=404, code="barcode_not_found")],
        "000000000017": [BadRequest("malformed", status=400, code="bad_request")]}))
    missed, dropped = take(events, 2)
    assert resolved(missed) == ("not_found", 0.0)
    assert (dropped.kind, dropped.reason) == ("dropped", "bad_request")
    assert isinstance(file_store.cache.get("099999999993"), CachedMiss)
    assert file_store.queue.stats().depth == 0


def test_answer_already_cached_costs_no_second_lookup(
    tmp_path: Path, clock: FakeClock, events: queue.Queue[DrainEvent]
) -> None:
    """As after a crash between resolve_queued's cache commit and its dequeue."""
    with Store.open(tmp_path / "s", tmp_path / "c", clock=clock) as store:
        store.cache.put(CEREAL, product(CEREAL), b"old")  # stale, earlier
        clock.advance(10)
        store.queue.enqueue(CEREAL, "hid:0", "network")
        store.queue.enqueue(FISH, "hid:0", "network")
        clock.advance(10)
        store.cache.put(FISH, product(FISH), b"new")  # after queueing
        script = Script(store)
        drainer = Drainer(store, script, events.put, pace_s=0.0)
        drainer.start()
        got = take(events, 2)
        assert drainer.stop(timeout=TIMEOUT)
    assert script.calls == [CEREAL]  # the older cache entry does not count
    assert [(e.barcode, *resolved(e)) for e in got] == [
        (CEREAL, "found", 1.3), (FISH, "cached", 0.0)]


def test_wake_retry_now_cuts_a_long_back_off(
    file_store: Store, start: Callable[..., Drainer], events: queue.Queue[DrainEvent]
) -> None:
    file_store.queue.enqueue(FISH, "hid:0", "network")
    script = Script(file_store, {FISH: [TransportError("down")]})
    drainer = start(script, backoff_base_s=1000.0, backoff_cap_s=1000.0)
    (retry,) = take(events, 1)
    assert retry.kind == "retry"
    drainer.wake()  # "new item queued" does not cut the back-off...
    with pytest.raises(queue.Empty):
        events.get(timeout=0.2)
    drainer.wake(retry_now=True)  # ..."the network is back" does
    (resolved,) = take(events, 1)
    assert resolved.kind == "resolved" and script.calls == [FISH] * 2


def test_idle_drainer_picks_up_new_items_on_wake(
    file_store: Store, start: Callable[..., Drainer], events: queue.Queue[DrainEvent]
) -> None:
    drainer = start(Script(file_store), housekeeping_s=1000.0)
    file_store.queue.enqueue(FISH, "hid:0", "network")
    drainer.wake()
    (resolved,) = take(events, 1)
    assert resolved.barcode == FISH


def test_a_broken_event_handler_does_not_stop_draining(file_store: Store) -> None:
    seen: list[str] = []
    both = threading.Event()

    def handler(event: DrainEvent) -> None:
        seen.append(event.barcode)
        if len(seen) == 2:
            both.set()
        raise RuntimeError("display bug")

    for barcode in [FISH, CEREAL]:
        file_store.queue.enqueue(barcode, "hid:0", "network")
    drainer = Drainer(file_store, Script(file_store), handler, pace_s=0.0)
    drainer.start()
    assert both.wait(TIMEOUT)
    assert drainer.stop(timeout=TIMEOUT)
    assert seen == [FISH, CEREAL]


def test_an_item_failing_for_its_own_reasons_is_set_aside_and_the_rest_drains(
    file_store: Store, start: Callable[..., Drainer], events: queue.Queue[DrainEvent],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bug met this item (an exception outside the error tree), or it was paid for and
    could not be used: three tries, then it is passed over, listed, and logged once."""
    file_store.queue.enqueue(FISH, "hid:0", "network")
    file_store.queue.enqueue(CEREAL, "hid:0", "network")
    script = Script(file_store, {FISH: [
        TypeError("a bug"), ServerError("not JSON", status=200, code="bad_json"),
        RecursionError("deep"), TypeError("once more")]})
    drainer = start(script)
    got = take(events, 4)
    assert [(e.kind, e.barcode) for e in got] == [
        ("retry", FISH), ("retry", FISH), ("set_aside", FISH),
        ("resolved", CEREAL)]
    assert script.calls == [FISH] * 3 + [CEREAL]
    stats = file_store.queue.stats()
    assert (stats.depth, stats.set_aside) == (0, 1)
    assert [i.barcode for i in file_store.queue.set_aside_items()] == [FISH]
    lines = [r for r in caplog.records if "set aside after 3 failed lookups" in r.getMessage()]
    assert len(lines) == 1 and getattr(lines[0], "KIOSK_EVENT", None) == "set_aside"
    # Scanned again, it is back in line with its failures forgotten: one more failure is
    # a retry, not a second setting aside.
    file_store.queue.enqueue(FISH, "hid:0", "network")
    assert file_store.queue.stats().set_aside == 0
    drainer.wake()  # as the daemon does after queueing
    assert [(e.kind, e.barcode) for e in take(events, 2)] == [
        ("retry", FISH), ("resolved", FISH)]


def test_network_failures_never_set_an_item_aside(
    file_store: Store, start: Callable[..., Drainer], events: queue.Queue[DrainEvent]
) -> None:
    file_store.queue.enqueue(FISH, "hid:0", "network")
    start(Script(file_store, {FISH: [
        TransportError("down"), ServerError("503", status=503, code="server_error"),
        RateLimited("429", retry_after=0.0, status=429, code="rate_limited")] * 3}))
    got = take(events, 10)
    assert [e.kind for e in got] == ["retry"] * 9 + ["resolved"]


def test_a_bad_answer_is_set_aside_at_once_and_a_twice_unanswered_lookup_counts(
    file_store: Store, start: Callable[..., Drainer], events: queue.Queue[DrainEvent],
) -> None:
    """Charged for, retried once by the client, still unusable: another try buys it
    again. A request that went out twice without an answer may have been charged: it
    counts against the item (three of those and it is set aside)."""
    maybe = TransportError("read timed out", code="timeout")
    maybe.maybe_charged = True
    file_store.queue.enqueue(FISH, "hid:0", "network")
    file_store.queue.enqueue(CEREAL, "hid:0", "network")
    file_store.queue.enqueue(SNACK, "hid:0", "network")
    script = Script(file_store, {
        FISH: [BadAnswer("cut short twice", status=200, code="bad_answer")],
        CEREAL: [maybe, maybe, maybe]})
    start(script)
    assert [(e.kind, e.barcode) for e in take(events, 5)] == [
        ("set_aside", FISH), ("retry", CEREAL), ("retry", CEREAL),
        ("set_aside", CEREAL), ("resolved", SNACK)]
    assert script.calls.count(FISH) == 1
    assert script.calls.count(CEREAL) == 3
    assert {i.barcode for i in file_store.queue.set_aside_items()} == {
        FISH, CEREAL}


def test_the_chores_run_at_start(file_store: Store) -> None:
    ran = threading.Event()
    drainer = Drainer(file_store, Script(file_store), chores=ran.set, pace_s=0.0)
    drainer.start()
    try:
        assert ran.wait(TIMEOUT)
    finally:
        assert drainer.stop(timeout=TIMEOUT)


def test_the_chores_run_again_when_the_network_is_back(file_store: Store) -> None:
    """A check of today's spending missed at start (offline) is not left for the next
    housekeeping, minutes later: it runs when the API answers again."""
    runs = [threading.Event(), threading.Event()]
    count = iter(runs)

    def chores() -> None:
        next(count).set()

    drainer = Drainer(file_store, Script(file_store), chores=chores, pace_s=0.0)
    drainer.start()
    try:
        assert runs[0].wait(TIMEOUT)
        drainer.wake(retry_now=True)
        assert runs[1].wait(TIMEOUT)
    finally:
        assert drainer.stop(timeout=TIMEOUT)


@pytest.mark.parametrize("followed", ["before", "by_the_drainer"])
@pytest.mark.parametrize("step", [365 * 86400.0, -365 * 86400.0], ids=["forward", "back"])
def test_an_answer_cached_across_a_clock_step_is_not_bought_again(
    tmp_path: Path, events: queue.Queue[DrainEvent], step: float, followed: str
) -> None:
    """A crash between resolve_queued's two commits, with NTP stepping the clock by a
    year in between (a Pi that booted at a stale time, or ran a year ahead); the store
    takes the step up before the answer is cached, or with the drainer's housekeeping."""
    wall, mono = FakeClock(1_800_000_000.0), FakeClock(1000.0)
    with Store.open(tmp_path / "s", tmp_path / "c", clock=wall, monotonic=mono) as store:
        store.queue.enqueue(FISH, "hid:0", "network")
        wall.advance(step)
        mono.advance(30)
        if followed == "before":
            store.follow_clock()
        store.cache.put(FISH, product(FISH), b"new", credits=1.3)
        script = Script(store)
        drainer = Drainer(store, script, events.put, pace_s=0.0, housekeeping_s=0.0)
        drainer.start()
        (got,) = take(events, 1)
        assert drainer.stop(timeout=TIMEOUT)
        assert store.follow_clock() == 0.0  # taken up already (or a step back: never)
    assert script.calls == []
    assert (got.barcode, *resolved(got)) == (FISH, "cached", 0.0)
