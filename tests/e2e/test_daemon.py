"""The real `kiosk run` process against the sandbox, a pty scanner, systemd's notify
socket and the real journal: every outcome, the notify protocol, signals, exit codes."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.sandbox import Sandbox
from tests.barcodes import CEREAL, FISH, SNACK, UNKNOWN
from tests.support.harness import ROOT, Kiosk, PtyScanner

pytestmark = pytest.mark.usefixtures("journal_running")


@pytest.fixture
def kiosk(tmp_path: Path, sandbox: Sandbox) -> Iterator[Kiosk]:
    k = Kiosk(tmp_path, sandbox)
    yield k
    k.stop()


def uncached(sandbox: Sandbox, n: int, exclude: tuple[str, ...] = ()) -> list[str]:
    return [b for b, p in sandbox.catalog.items()
            if p["image_meta"].get("front") and b not in (CEREAL, FISH, SNACK, *exclude)][:n]


def test_every_outcome_the_notify_protocol_and_an_orderly_stop(
        kiosk: Kiosk, sandbox: Sandbox, tmp_path: Path) -> None:
    # The scanner is not there at start: the kiosk starts anyway and picks it up later.
    kiosk.start().wait_ready()
    assert kiosk.alive()
    scanner = PtyScanner(kiosk.scanner_link)
    kiosk.wait_scanner()

    scanner.send(CEREAL)
    shown = kiosk.wait_scan(CEREAL, "shown")
    assert shown["CREDITS"] == "1.3" and shown["SOURCE"] == f"serial:{kiosk.scanner_link}"
    assert float(shown["LATENCY_MS"]) > 0 and shown["REQUEST_ID"].startswith("req_")
    # Drawn when the data came and completed when the photo did, or, the photo within
    # the early card's hold (kiosk/daemon/_pace.py: a fast link), drawn once, complete.
    assert 0 < float(shown["FIRST_PAINT_MS"]) <= float(shown["LATENCY_MS"])
    scanner.send(FISH)
    kiosk.wait_scan(FISH, "shown")
    scanner.send(FISH)  # a double read
    kiosk.wait_scan(FISH, "duplicate")
    scanner.send(CEREAL)  # A, B, A: a real re-scan, from the cache
    cached = kiosk.wait_scan(CEREAL, "cached")
    assert cached["CREDITS"] == "0"
    assert cached["FIRST_PAINT_MS"] == cached["LATENCY_MS"]  # complete at once
    scanner.send("01700016156")  # a mis-read: 11 digits
    invalid = kiosk.wait_scan("01700016156", "invalid")
    assert "11 digits" in invalid["REASON"]
    scanner.send(UNKNOWN)
    kiosk.wait_scan(UNKNOWN, "not_found")
    sandbox.faults.add("status", count=1, path=f"/products/{SNACK}", status=418)
    scanner.send(SNACK)
    errored = kiosk.wait_scan(SNACK, "error")
    assert errored["PRIORITY"] == "4"

    # Network loss: a new product is saved for later; the loss is logged once.
    offline_code, later_code = uncached(sandbox, 2)
    sandbox.set_online(False)
    scanner.send(offline_code)
    queued = kiosk.wait_scan(offline_code, "queued")
    assert queued["REASON"] == "network"
    kiosk.wait_event(lambda e: e.get("MESSAGE", "").startswith("network lost"),
                     what="network lost")
    # Network back: the next lookup works and the queued scan is resolved.
    sandbox.set_online(True)
    scanner.send(later_code)
    kiosk.wait_scan(later_code, "shown")
    resolved = kiosk.wait_event(lambda e: e.get("KIOSK_EVENT") == "resolved"
                                and e.get("BARCODE") == offline_code, what="resolved")
    assert resolved["CREDITS"] == "1.3"
    kiosk.wait_event(lambda e: e.get("MESSAGE", "").startswith("network back"),
                     what="network back")

    outcomes = {e["OUTCOME"] for e in kiosk.scans()}
    assert outcomes == {"shown", "cached", "duplicate", "invalid", "not_found", "error", "queued"}
    assert len(kiosk.scans()) == 9  # exactly one entry per scan sent above
    assert all(e["SYSLOG_IDENTIFIER"] == "kiosk" for e in kiosk.journal())
    # The fleet's labels ride on every entry, the scans' and the others'.
    assert all((e.get("KIOSK_STORE"), e.get("KIOSK_LANE")) == ("test-store", "lane 1")
               for e in kiosk.journal())

    # `kiosk status` while it runs (the daemon writes its part at most every 2 s).
    link = f"serial:{kiosk.scanner_link}"
    deadline = time.monotonic() + 10
    while True:
        status = subprocess.run(
            [sys.executable, "-m", "kiosk.cli", "status", "--json", "--config",
             str(kiosk.config)], capture_output=True, text=True, cwd=ROOT, timeout=60,
            check=True)
        data = json.loads(status.stdout)
        settled = (data["scanner"] == {link: "connected"} and data["online"]
                   and data["credits_remaining"] == pytest.approx(500 - sandbox.credits_spent()))
        if settled or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    for key in ("online", "queue_depth", "oldest_queued_age_s", "cache_products", "cache_bytes",
                "credits_remaining", "token_expires_at", "scanner", "last_error"):
        assert key in data
    assert data["daemon"] == "running" and data["online"] is True
    assert data["queue_depth"] == 0 and data["cache_products"] >= 4
    assert data["scanner"] == {link: "connected"}
    assert data["credits_remaining"] == pytest.approx(500 - sandbox.credits_spent())

    # The notify protocol: READY, a current STATUS, WATCHDOG while the loop turns.
    kiosk.notify.wait_for("WATCHDOG=1")
    kiosk.notify.wait_until(lambda s: s.startswith("STATUS=online · queue 0")
                            and "scanner ok" in s)

    kiosk.signal(signal.SIGTERM)
    assert kiosk.wait() == 0
    assert "STOPPING=1" in kiosk.notify.lines()

    # No secret anywhere: key, refresh token.
    text = kiosk.stderr() + "\n".join(str(e) for e in kiosk.journal())
    refresh = (tmp_path / "state" / "refresh_token").read_text()
    assert sandbox.api_key not in text
    assert refresh.split('"')[3] not in text
    scanner.unplug()


def test_a_cached_miss_while_offline_is_not_taken_for_the_network_coming_back(
        kiosk: Kiosk, sandbox: Sandbox) -> None:
    """Regression (issue 14): a code in the negative cache answers "not found" from disk;
    offline, that used to log a false "network back" (and cut the drainer's back-off
    short), because online state was guessed from the outcome's name."""
    kiosk.start().wait_ready()
    scanner = PtyScanner(kiosk.scanner_link)
    kiosk.wait_scanner()
    scanner.send(UNKNOWN)
    kiosk.wait_scan(UNKNOWN, "not_found")  # the API says so: now in the negative cache
    (offline_code,) = uncached(sandbox, 1)
    sandbox.set_online(False)
    scanner.send(offline_code)
    kiosk.wait_scan(offline_code, "queued")
    kiosk.wait_event(lambda e: e.get("MESSAGE", "").startswith("network lost"),
                     what="network lost")
    scanner.send(UNKNOWN)
    second = kiosk.wait_scan_count(UNKNOWN, "not_found", 2)[-1]
    # The main loop logs a change of network state before the scan's own line.
    messages = [e.get("MESSAGE", "") for e in kiosk.journal()
                if int(e["__REALTIME_TIMESTAMP"]) <= int(second["__REALTIME_TIMESTAMP"])]
    assert not [m for m in messages if m.startswith("network back")], messages
    assert sum(m.startswith("network lost") for m in messages) == 1, messages
    scanner.unplug()


def test_pricing_is_read_at_start_so_the_first_scan_asks_only_for_its_product(
        kiosk: Kiosk, sandbox: Sandbox) -> None:
    kiosk.start().wait_ready()
    kiosk.wait_event(lambda e: e.get("MESSAGE", "").startswith("pricing:"), what="pricing")
    assert sandbox.request_count("/products") == 0  # read before any scan
    scanner = PtyScanner(kiosk.scanner_link)
    kiosk.wait_scanner()
    scanner.send(CEREAL)
    kiosk.wait_scan(CEREAL, "shown")
    assert sandbox.request_count("/pricing") == 1
    scanner.unplug()


def test_sighup_reloads_and_keeps_the_old_config_when_the_new_one_is_bad(
        kiosk: Kiosk, sandbox: Sandbox) -> None:
    kiosk.start().wait_ready()
    kiosk.write_config(store_name="Renamed store", lane="lane 2")
    kiosk.signal(signal.SIGHUP)
    reloaded = kiosk.wait_event(
        lambda e: e.get("MESSAGE", "").startswith("configuration reloaded"), what="reload")
    assert reloaded["KIOSK_LANE"] == "lane 2"  # a moved kiosk is relabelled by a reload
    kiosk.config.write_text("[display]\nmode = 'kiosk'\n")
    kiosk.signal(signal.SIGHUP)
    refused = kiosk.wait_event(lambda e: e.get("MESSAGE", "").startswith("reload refused"),
                               what="reload refused")
    assert "display.mode" in refused["MESSAGE"]
    # systemd holds `systemctl reload` until READY=1 follows RELOADING=1: both reloads,
    # the refused one too, end with one (found by the system test, where it hung).
    kiosk.notify.wait_until(lambda _: [m.split("\n")[0] for m in kiosk.notify.messages
                                       if m.startswith(("READY=1", "RELOADING=1"))]
                            == ["READY=1", "RELOADING=1", "READY=1", "RELOADING=1", "READY=1"])
    scanner = PtyScanner(kiosk.scanner_link)
    kiosk.wait_scanner()
    scanner.send(CEREAL)
    kiosk.wait_scan(CEREAL, "shown")  # still working on the old configuration
    kiosk.signal(signal.SIGTERM)
    assert kiosk.wait() == 0
    scanner.unplug()


def test_bad_configuration_exits_78_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[scanner]\nkind = 'bluetooth'\n")
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "run", "--config", str(bad)],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
        env={"SDL_VIDEODRIVER": "dummy", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 78
    assert "Traceback" not in proc.stderr


def test_sigterm_during_a_slow_lookup_exits_0_and_keeps_the_scan(
        kiosk: Kiosk, sandbox: Sandbox, tmp_path: Path) -> None:
    kiosk.start().wait_ready()
    scanner = PtyScanner(kiosk.scanner_link)
    kiosk.wait_scanner()
    (slow,) = uncached(sandbox, 1)
    # Longer than the client's read timeout (3 s) and deadline (5 s): the lookup cannot
    # succeed, so the scan can only survive by being saved.
    held = sandbox.faults.add("latency", count=5, path=f"/products/{slow}", seconds=10.0)
    scanner.send(slow)
    deadline = time.monotonic() + 20
    while held.count == 5 and time.monotonic() < deadline:  # until the request is held
        time.sleep(0.05)
    assert held.count < 5, "the lookup never reached the API"
    kiosk.signal(signal.SIGTERM)
    assert kiosk.wait() == 0
    from kiosk.store import Store

    store = Store.open(tmp_path / "state", tmp_path / "cache", readonly=True)
    try:
        kept = [i.barcode for i in store.queue.items()]
        shown = store.cache.get(slow)
    finally:
        store.close()
    assert kept == [slow], "the scan in flight at SIGTERM was not saved"
    assert shown is None
    scanner.unplug()
