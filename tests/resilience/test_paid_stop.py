"""The daemon stopped (SIGTERM) while the photo of a paid answer downloads: the answer
is in the state database after the stop, and the restarted kiosk shows the product
without buying it again. The real `kiosk run` process, a pty scanner, real TCP."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from kiosk.sandbox import Sandbox
from kiosk.sandbox.endpoints import API_PREFIX
from tests.barcodes import CEREAL
from tests.resilience.util import paid_rows
from tests.support.harness import Kiosk, PtyScanner


def test_sigterm_during_the_photo_keeps_what_was_paid(sandbox: Sandbox, tmp_path: Path) -> None:
    kiosk = Kiosk(tmp_path, sandbox)
    try:
        kiosk.start().wait_ready()
        scanner = PtyScanner(kiosk.scanner_link)
        kiosk.wait_scanner()
        sandbox.faults.add("latency", count=1, path="/image/", seconds=6.0)
        scanner.send(CEREAL)
        deadline = time.monotonic() + 30
        while not (paid_rows(tmp_path / "state") and sandbox.requests_in_flight):
            assert kiosk.alive() and time.monotonic() < deadline, kiosk.stderr()
            time.sleep(0.02)
        kiosk.signal(signal.SIGTERM)
        kiosk.wait(30)
        kiosk._stderr.close()  # the harness opens a new one for the next start
        assert paid_rows(tmp_path / "state", "barcode, credits") == [(CEREAL, 1.3)]
        kiosk.start().wait_ready()
        kiosk.wait_scanner()
        scanner.send(CEREAL)
        seen = kiosk.wait_event(
            lambda e: e.get("KIOSK_EVENT") == "scan" and e.get("BARCODE") == CEREAL
            and e.get("OUTCOME") in ("shown", "cached"), 30, "the product after restart")
        assert seen["CREDITS"] == "0"
        gets = [e for e in sandbox.ledger if e.path == f"{API_PREFIX}/products/{CEREAL}"]
        assert len(gets) == 1
        assert sandbox.credits_spent(CEREAL) <= 1.3 + 1.0  # at most the photo's redirect
    finally:
        kiosk.stop()
