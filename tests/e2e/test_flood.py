"""A serial reader gone wild, against the real `kiosk run` process: 2,000 frames a second
for 30 s on a pty (garbled frames, a held code read again and again, a real scan now
and then). The kiosk stays small, keeps feeding the watchdog, writes a bounded number
of journal lines, and shows the last real scan when the flood ends.

Measured figures are printed (`-s` shows them) and kept in the README; the assertions
are on conditions, not on how fast this machine happens to be.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from pathlib import Path

import pytest

from kiosk.sandbox import Sandbox
from tests.support.harness import Kiosk, PtyScanner

pytestmark = pytest.mark.usefixtures("journal_running")

FRAMES_PER_S = 2000
FLOOD_S = 30.0
TICK_S = 0.01  # frames go out in chunks of FRAMES_PER_S * TICK_S
WATCHDOG_S = 5.0  # what the harness tells the daemon: it must ping at least this often
RSS_LIMIT_KIB = 100 * 1024
JOURNAL_LINES_LIMIT = 300
# What a reader at the wrong baud rate sends: bytes that are not text, codes too short,
# a wrong check digit.
GARBLED = [b"\xe0\x1c\xfe\x80\x7f", b"12345", b"017000161564", b"\x00\x00\x00"]


class Flood:
    """Sends the flood from a thread of its own; `codes` take turns, a second each."""

    def __init__(self, scanner: PtyScanner, codes: list[str], last: str) -> None:
        self.scanner = scanner
        self.codes = codes
        self.last = last
        self.sent = 0
        self.ended_at_us = 0  # time.time(), when the last frame was written
        self.thread = threading.Thread(target=self._send, name="flood")

    def _send(self) -> None:
        per_tick = int(FRAMES_PER_S * TICK_S)
        start = time.monotonic()
        tick = 0
        while (elapsed := time.monotonic() - start) < FLOOD_S:
            code = self.codes[int(elapsed) % len(self.codes)].encode()
            chunk = []
            for i in range(per_tick):
                chunk.append(GARBLED[i % len(GARBLED)] if i % 2 else code)
            os.write(self.scanner.master, b"\r\n".join(chunk) + b"\r\n")
            self.sent += per_tick
            tick += 1
            pause = start + tick * TICK_S - time.monotonic()
            if pause > 0:
                time.sleep(pause)  # the flood's own pace
        os.write(self.scanner.master, self.last.encode() + b"\r\n")
        self.sent += 1
        self.ended_at_us = int(time.time() * 1_000_000)


@pytest.mark.slow
def test_a_flood_of_frames_keeps_the_kiosk_small_alive_quiet_and_current(
        tmp_path: Path, sandbox: Sandbox) -> None:
    photo = [b for b, p in sorted(sandbox.catalog.items()) if p["image_meta"].get("front")]
    codes, last = photo[:4], photo[1]  # `last` was shown before: a cached card at the end
    kiosk = Kiosk(tmp_path, sandbox, watchdog_usec=int(WATCHDOG_S * 1_000_000))
    try:
        kiosk.start().wait_ready()
        scanner = PtyScanner(kiosk.scanner_link)
        kiosk.wait_scanner()
        for code in codes:  # looked up once, before the flood: cards from the cache
            scanner.send(code)
            kiosk.wait_scan(code, "shown")
        baseline_kib = kiosk.rss_kib()
        started_us = int(time.time() * 1_000_000)
        started = time.monotonic()
        flood = Flood(scanner, codes[2:] + codes[:1], last)  # never `last` until the end
        flood.thread.start()
        rss: list[int] = []
        while flood.thread.is_alive():
            rss.append(kiosk.rss_kib())
            assert kiosk.alive(), kiosk.stderr()[-2000:]
            flood.thread.join(0.5)  # a sample every half second
        ended = time.monotonic()

        final = kiosk.wait_event(
            lambda e: e.get("KIOSK_EVENT") == "scan" and e.get("BARCODE") == last
            and int(e["__REALTIME_TIMESTAMP"]) >= flood.ended_at_us, what="the last scan")
        summary = kiosk.wait_event(lambda e: e.get("KIOSK_EVENT") == "suppressed",
                                   what="a suppressed summary")
        journal = kiosk.journal()
        during = [e for e in journal
                  if started_us <= int(e["__REALTIME_TIMESTAMP"]) <= flood.ended_at_us]
        pings = kiosk.notify.times_of("WATCHDOG=1")
        fed = [t for t in pings if started - WATCHDOG_S <= t <= ended + WATCHDOG_S]
        gaps = [b - a for a, b in itertools.pairwise(fed)]
        shown_after_ms = (int(final["__REALTIME_TIMESTAMP"]) - flood.ended_at_us) / 1000
        scans_after = [e for e in kiosk.scans()
                       if int(e["__REALTIME_TIMESTAMP"]) >= int(final["__REALTIME_TIMESTAMP"])]
        print(f"\nflood: {flood.sent} frames in {ended - started:.1f} s; RSS {baseline_kib} KiB "
              f"before, max {max(rss)} KiB; {len(during)} journal lines during it; "
              f"watchdog pings {len(fed)}, longest gap {max(gaps):.2f} s; last card in the "
              f"journal {shown_after_ms:.0f} ms after the flood; summary: "
              f"{summary['MESSAGE']}")
    finally:
        kiosk.stop()

    assert flood.sent >= FRAMES_PER_S * FLOOD_S * 0.5  # the flood happened (a pty may
    # hold the writer back when the kiosk reads slower: that is backpressure, not loss)
    assert max(rss) < RSS_LIMIT_KIB, rss
    assert len(during) < JOURNAL_LINES_LIMIT, [e.get("MESSAGE") for e in during[-30:]]
    assert len(fed) >= 2 and max(gaps) < WATCHDOG_S, gaps  # never starved of pings
    # The last real scan is what the screen ended on: drawn (LATENCY_MS), and no scan
    # entry after it.
    assert final["OUTCOME"] == "cached" and float(final["LATENCY_MS"]) > 0
    assert scans_after == [final]
    assert "invalid/duplicate frames" in summary["MESSAGE"] and int(summary["INVALID"]) > 0
