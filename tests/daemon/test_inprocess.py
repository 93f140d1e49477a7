"""The whole daemon in-process (tests/daemon/inprocess.py): online and offline, metrics,
bursts, stopping. The main loop runs on this thread (pygame wants it), the scenario on
another; every wait is on a condition."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from kiosk.daemon import ScanResult
from kiosk.display import Display
from kiosk.outcome import Outcome
from kiosk.sandbox import Sandbox
from tests.barcodes import UNKNOWN
from tests.daemon.inprocess import InProcess, messages, metrics_written
from tests.helpers import wait_for, with_photo


def test_online_and_offline_come_from_the_wire_not_from_outcomes(
        kiosk: InProcess, sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    offline_code, later_code = with_photo(sandbox)[:2]

    def scenario(k: InProcess) -> None:
        assert k.scan(UNKNOWN, Outcome.NOT_FOUND) is True  # the API's 404: an answer
        sandbox.set_online(False)
        assert k.scan(offline_code, Outcome.QUEUED) is False
        # From the negative cache: says nothing about the network (issue 14's bug).
        assert k.scan(UNKNOWN, Outcome.NOT_FOUND) is False
        assert messages(caplog, "network back") == []
        sandbox.set_online(True)
        assert k.scan(later_code, Outcome.SHOWN) is True

    kiosk.run(scenario)
    assert len(messages(caplog, "network lost")) == 1
    assert len(messages(caplog, "network back")) == 1
    assert len(messages(caplog, "the API answers")) == 1  # the first answer, at start


def test_a_scan_while_stopping_is_saved_not_lost(kiosk: InProcess, sandbox: Sandbox,
                                                 tmp_path: Path) -> None:
    """Save-on-stop through the whole daemon: a lookup held by the API at stop."""
    (slow,) = with_photo(sandbox)[:1]
    held = sandbox.faults.add("latency", count=5, path=f"/products/{slow}", seconds=30.0)

    def scenario(k: InProcess) -> None:
        assert k.reader is not None
        k.reader.feed(slow)
        wait_for(lambda: held.count < 5)  # the API holds the lookup now

    kiosk.run(scenario)
    from kiosk.store import Store

    with Store.open(tmp_path / "state", tmp_path / "cache", readonly=True) as store:
        saved = [(i.barcode, i.reason) for i in store.queue.items()]
    # The stop waited for the lookup (its answer could have been paid for) until its read
    # timed out; the retry was not sent (the kiosk was stopping): saved as a network
    # failure. Had it outlasted the stop's deadline, the worker would have saved it.
    assert saved in ([(slow, "network")], [(slow, "shutdown")])


def test_the_metrics_file_counts_what_the_journal_says_and_goes_with_the_kiosk(
        tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_metrics import parse, promtool_check, value

    for name in ("NOTIFY_SOCKET", "WATCHDOG_USEC"):
        monkeypatch.delenv(name, raising=False)
    prom = tmp_path / "run" / "metrics.prom"
    prom.parent.mkdir()
    kiosk = InProcess(tmp_path, sandbox, metrics_file=prom)
    (product,) = with_photo(sandbox)[:1]
    seen: list[str] = []

    def scenario(k: InProcess) -> None:
        k.scan(UNKNOWN, Outcome.NOT_FOUND)
        k.scan(product, Outcome.SHOWN)  # returns at the first paint, before the photo

        def counted(outcome: str) -> float | None:
            key = ("kiosk_scans_total", frozenset({("outcome", outcome)}))
            return metrics_written(prom).get(key)

        # Rewritten every interval_s: wait for the write that holds both scans, complete.
        wait_for(lambda: counted("not_found") == 1 and counted("shown") == 1)
        seen.append(prom.read_text())

    kiosk.run(scenario)
    text = seen[0]
    if shutil.which("promtool"):
        check = promtool_check("promtool", text)
        assert check.returncode == 0, check.stdout + check.stderr
    samples = parse(text)[1]
    assert value(samples, "kiosk_scans_total", outcome="shown") == 1
    assert value(samples, "kiosk_lookup_duration_seconds_count") == 2  # the 404 answered too
    assert value(samples, "kiosk_first_paint_duration_seconds_count") == 2
    assert value(samples, "kiosk_credits_spent_total") == pytest.approx(
        sum(e.credits for e in sandbox.ledger))
    assert value(samples, "kiosk_online") == 1
    assert value(samples, "kiosk_scanner_connected", scanner="fake:0") == 1
    assert value(samples, "kiosk_api_last_success_timestamp_seconds") > 0
    assert not prom.exists()  # a stopped kiosk serves no stale numbers

    # Restarted, the credits counter goes on from where it was: no reset for rate().
    spent = value(samples, "kiosk_credits_spent_total")
    assert spent > 0
    again = InProcess(tmp_path, sandbox, metrics_file=prom)
    after: list[float] = []

    def restarted(k: InProcess) -> None:
        wait_for(lambda: bool(metrics_written(prom)))
        after.append(value(metrics_written(prom), "kiosk_credits_spent_total"))

    again.run(restarted)
    assert after == [pytest.approx(spent)]


def test_a_burst_of_results_is_one_paint_of_the_newest_and_every_scan_journalled(
        kiosk: InProcess, sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    first, second = with_photo(sandbox)[:2]
    held = threading.Event()
    release = threading.Event()
    burst = [second, "garbage", first] * 10 + [second]  # no double reads: window 0

    def hold_the_main_loop(record: ScanResult, display: Display) -> None:
        if record.outcome is Outcome.INVALID and record.barcode == "hold":
            held.set()
            assert release.wait(20)

    def scenario(k: InProcess) -> None:
        assert k.reader is not None
        for code in (first, second):  # each drawn twice: before its photo, and with it
            k.scan(code, Outcome.SHOWN)
            wait_for(lambda c=code: len(messages(caplog, f"scan {c}: looked up")) == 1)
        k.on_show = hold_the_main_loop
        k.reader.feed("hold")  # its paint holds the main loop...
        assert held.wait(20)
        before = len(k.shown)
        for code in burst:  # ...while the worker answers all of these
            k.reader.feed(code)
        wait_for(lambda: len(k.daemon.outbox) == len(burst))
        release.set()
        wait_for(lambda: len(messages(caplog, f"scan {second}: shown from the cache")) == 11)
        painted.extend(r for r, _ in k.shown[before:])

    painted: list[ScanResult] = []
    kiosk.run(scenario)
    # One paint, of the newest result; every one of them journalled all the same.
    assert [(r.barcode, r.outcome) for r in painted] == [(second, Outcome.CACHED)]
    assert len(messages(caplog, f"scan {first}: shown from the cache")) == 10
    assert len(messages(caplog, "scan garbage: invalid scan")) == 9  # the budget: 10 a window


def test_an_orderly_stop_abandons_the_photo_and_keeps_the_paid_answer(
        kiosk: InProcess, sandbox: Sandbox, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    """SIGTERM while a photo drips in: the photo is let go at its next byte, the lookup
    ends and caches its (paid) product, every thread ends before the store is closed."""
    (code,) = with_photo(sandbox)[:1]
    sandbox.faults.add("hostile", count=1, path="/image/", body="drip", seconds=0.05)

    def scenario(k: InProcess) -> None:
        k.scan(code, Outcome.SHOWN)  # the card's first paint: the photo is on its way
        assert k.shown[-1][0].photo_pending

    kiosk.run(scenario)
    text = caplog.text
    assert "photo abandoned, the kiosk is stopping" in text
    assert "stopping: every thread ended" in text and "did not end" not in text
    assert "left open" not in text
    from kiosk.store import Store

    with Store.open(tmp_path / "state", tmp_path / "cache", readonly=True) as store:
        hit = store.cache.get(code)
        assert hit is not None and hit.product.barcode == code  # paid once, kept
        assert store.queue.items() == []
    assert sum(e.credits for e in sandbox.ledger) > 0


def test_a_thread_that_outlives_the_stop_keeps_the_store_open_under_it(
        daemon_env: None, tmp_path: Path, sandbox: Sandbox,
        caplog: pytest.LogCaptureFixture) -> None:
    (slow,) = with_photo(sandbox)[:1]
    held = sandbox.faults.add("latency", count=1, path=f"/products/{slow}", seconds=2.0)
    kiosk = InProcess(tmp_path, sandbox, stop_wait_s=0.2)  # shorter than the answer takes

    def scenario(k: InProcess) -> None:
        assert k.reader is not None
        k.reader.feed(slow)
        wait_for(lambda: held.count == 0)  # the API holds the lookup now

    kiosk.run(scenario)
    assert "stopping: the scan worker did not end within 0.2 s" in caplog.text
    assert "the store is left open" in caplog.text
    lane = [t for t in threading.enumerate() if t.name == "kiosk-lookups"]
    assert lane and lane[0].is_alive()
    # The lookup goes on against a store still open: its answer is cached, not lost to a
    # closed connection.
    lane[0].join(20)
    assert not lane[0].is_alive()
    hit = kiosk.daemon.store.cache.get(slow)
    assert hit is not None and hit.product.barcode == slow
    assert "could not be handled" not in caplog.text
    kiosk.daemon.store.close()
    kiosk.daemon.http.close()
