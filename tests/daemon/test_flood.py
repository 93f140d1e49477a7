"""What keeps a reader gone wild bounded, piece by piece: the journal's line budget (a
fake clock), the worker's inbox (what it drops first), the outbox (one wake-up however
many results; noise past the budget counted, the newest invalid frame kept for the
screen). No threads but the test's own, no sleeps."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kiosk.daemon import ScanResult
from kiosk.daemon.inbox import ScanInbox
from kiosk.daemon.outbox import Outbox
from kiosk.daemon.ratelimit import LineBudget
from kiosk.outcome import Outcome
from kiosk.scanner import Scan
from tests.barcodes import CEREAL, FISH, SNACK
from tests.helpers import FakeClock

A, B, C = CEREAL, FISH, SNACK


# --- the line budget --------------------------------------------------------------------

def test_a_window_lets_its_lines_through_then_counts_and_says_it_once() -> None:
    clock = FakeClock(100.0)
    budget = LineBudget(lines=3, period_s=10.0, clock=clock)
    assert [budget.allow("invalid") for _ in range(3)] == [True, True, True]
    assert budget.due is None  # nothing left out yet
    assert [budget.allow(k) for k in ("invalid", "duplicate", "invalid")] == [False] * 3
    assert budget.due == 110.0
    clock.advance(9.9)
    assert budget.summary() is None  # the window is still open
    assert budget.allow("invalid") is False
    clock.advance(0.2)
    said = budget.summary()
    assert said is not None
    assert said.counts == {"invalid": 3, "duplicate": 1} and said.total == 4
    assert said.seconds == pytest.approx(10.1)
    assert budget.summary() is None and budget.due is None  # said once
    assert budget.allow("invalid") is True  # a new window


def test_a_window_that_left_nothing_out_ends_by_itself() -> None:
    clock = FakeClock()
    budget = LineBudget(lines=2, period_s=5.0, clock=clock)
    assert budget.allow("invalid") and budget.allow("invalid")
    clock.advance(5.0)
    assert budget.allow("invalid") and budget.allow("invalid")  # a fresh window
    assert budget.summary() is None


def test_a_window_with_counts_not_yet_said_keeps_suppressing() -> None:
    """Between the window's end and `summary()`, nothing slips through uncounted."""
    clock = FakeClock()
    budget = LineBudget(lines=1, period_s=5.0, clock=clock)
    assert budget.allow("invalid") and not budget.allow("invalid")
    clock.advance(60.0)
    assert budget.allow("invalid") is False
    said = budget.summary()
    assert said is not None and said.counts == {"invalid": 2}


def test_counted_without_asking() -> None:
    clock = FakeClock()
    budget = LineBudget(lines=5, period_s=1.0, clock=clock)
    budget.count("dropped_invalid", 7)
    budget.count("dropped_valid", 0)  # nothing: no key
    assert budget.allow("invalid") is False  # a window with losses says them first
    clock.advance(1.0)
    said = budget.summary()
    assert said is not None and said.counts == {"dropped_invalid": 7, "invalid": 1}


# --- the inbox ---------------------------------------------------------------------------

def scan(raw: str, t: float = 1.0, source: str = "serial:0") -> Scan:
    return Scan(raw, source, t)


def test_a_full_inbox_drops_invalid_frames_first_then_repeats_then_the_oldest_valid() -> None:
    dropped: list[tuple[str, str]] = []
    inbox = ScanInbox(capacity=4, on_drop=lambda kind, s: dropped.append((kind, s.raw)))
    for item in (scan(A), scan("garbage"), scan(A), scan(B)):  # A, invalid, repeat of A, B
        inbox.put(item)
    inbox.put(scan(C))
    assert dropped == [("invalid", "garbage")]
    inbox.put(scan("more garbage"))  # a new invalid frame takes the place of a repeat
    assert dropped[-1] == ("repeat", A)
    inbox.put(scan("017000161564"))  # a bad check digit: invalid, drops the last one
    assert dropped[-1] == ("invalid", "more garbage")
    inbox.put(scan(A, source="serial:1"))  # valid and new: no invalid, no repeat left...
    assert dropped[-1] == ("invalid", "017000161564")
    inbox.put(scan(B, source="serial:1"))
    assert dropped[-1] == ("valid", A)  # ...so the oldest valid scan goes, and is told
    assert len(inbox) == 4
    inbox.stop()
    assert [(s.raw, s.source) for s in iter(inbox.get, None)] == [
        (B, "serial:0"), (C, "serial:0"), (A, "serial:1"), (B, "serial:1")]


def test_the_inbox_keeps_arrival_order_across_kinds_and_a_stop_lets_the_rest_out() -> None:
    inbox = ScanInbox(capacity=10)
    sent = [scan(A), scan("x"), scan(A), scan(B), scan("y")]
    for item in sent:
        inbox.put(item)
    inbox.stop()
    inbox.put(scan(C))  # after the stop, still taken: the worker saves it
    assert [s.raw for s in iter(inbox.get, None)] == [A, "x", A, B, "y", C]
    assert inbox.get_nowait() is None


def test_a_code_is_a_repeat_only_while_its_first_read_waits() -> None:
    dropped: list[tuple[str, str]] = []
    inbox = ScanInbox(capacity=2, on_drop=lambda kind, s: dropped.append((kind, s.raw)))
    inbox.put(scan(A))
    assert inbox.get_nowait() is not None  # taken: A is no longer waiting
    inbox.put(scan(A))
    inbox.put(scan(B))
    inbox.put(scan(C))  # full of valid scans: the oldest valid one goes
    assert dropped == [("valid", A)]


# --- the outbox ---------------------------------------------------------------------------

def record(outcome: Outcome, seq: int, code: str = A) -> ScanResult:
    return ScanResult(outcome, code, source="serial:0", t_last=float(seq), seq=seq)


def test_one_wake_up_however_many_results_until_the_main_loop_takes_them() -> None:
    outbox = Outbox(LineBudget(lines=100, clock=FakeClock()))
    wakes = [outbox.put(record(Outcome.CACHED, seq)) for seq in range(1, 1001)]
    assert wakes.count(True) == 1 and wakes[0] is True
    batch = outbox.take()
    assert [r.seq for r in batch.records] == list(range(745, 1001))  # bounded: the newest
    assert outbox.put(record(Outcome.CACHED, 1001)) is True  # taken: the next one wakes


def test_a_complete_card_joining_its_held_early_card_wakes_the_loop_again() -> None:
    outbox = Outbox(LineBudget(lines=100, clock=FakeClock()))
    early = replace(record(Outcome.SHOWN, 7), photo_pending=True)
    assert outbox.put(early) is True
    assert outbox.waiting_early() is early
    assert outbox.put(record(Outcome.CACHED, 8, B)) is False  # another scan: no new wake
    assert outbox.waiting_early() is None  # the newest is not an early card
    assert outbox.put(record(Outcome.SHOWN, 7)) is True  # its photo: the hold ends
    assert outbox.completes(7) and not outbox.completes(9)


def test_the_outbox_is_bounded_and_counts_what_it_gave_up() -> None:
    clock = FakeClock()
    outbox = Outbox(LineBudget(lines=10, period_s=1.0, clock=clock), max_records=8)
    for seq in range(1, 21):
        outbox.put(record(Outcome.CACHED, seq))
    batch = outbox.take()
    assert [r.seq for r in batch.records] == list(range(13, 21))  # the newest kept
    clock.advance(1.0)
    said = outbox.summary()
    assert said is not None and said.counts == {"unshown": 12}


def test_noise_past_the_budget_is_counted_and_only_the_newest_invalid_frame_kept() -> None:
    clock = FakeClock()
    outbox = Outbox(LineBudget(lines=2, period_s=10.0, clock=clock))
    assert outbox.put(record(Outcome.INVALID, 1, "x1")) is True
    outbox.put(record(Outcome.DUPLICATE, 2))
    for seq in range(3, 500):  # the rest of a flood: counted, not kept
        outbox.put(record(Outcome.INVALID if seq % 2 else Outcome.DUPLICATE, seq, f"x{seq}"))
    outbox.put(record(Outcome.CACHED, 500, B))  # a real scan is never budgeted away
    outbox.dropped("invalid", 40)
    batch = outbox.take()
    assert [(r.outcome, r.seq) for r in batch.records] == [
        (Outcome.INVALID, 1), (Outcome.DUPLICATE, 2), (Outcome.CACHED, 500)]
    assert batch.quiet is not None and batch.quiet.seq == 499  # for the screen only
    assert outbox.summary_due == clock.now + 10.0
    clock.advance(10.0)
    said = outbox.summary()
    assert said is not None
    assert said.counts == {"invalid": 249, "duplicate": 248, "dropped_invalid": 40}


def test_a_double_read_past_the_budget_does_not_wake_the_main_loop() -> None:
    outbox = Outbox(LineBudget(lines=0, clock=FakeClock()))
    assert outbox.put(record(Outcome.DUPLICATE, 1)) is False  # it would show nothing
    assert outbox.take().records == []
    assert outbox.put(record(Outcome.INVALID, 2)) is True  # the screen says "invalid"
