"""SIGTERM while a paid lookup is on the wire, against the real `kiosk run` process:
the stop waits for the answer (it is paid for), caches it, lets the photo go, and ends
well inside systemd's TimeoutStopSec. The figures size that timeout (README)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from kiosk.sandbox import Sandbox
from kiosk.store import Store
from tests.support.harness import Kiosk, PtyScanner

pytestmark = pytest.mark.usefixtures("journal_running")

HELD_S = 2.5  # the API holds the product answer this long (under the read timeout, 3 s)


def test_sigterm_during_a_paid_lookup_keeps_the_answer_and_ends_in_time(
        tmp_path: Path, sandbox: Sandbox) -> None:
    (code,) = [b for b, p in sorted(sandbox.catalog.items()) if p["image_meta"].get("front")][:1]
    kiosk = Kiosk(tmp_path, sandbox)
    try:
        kiosk.start().wait_ready()
        scanner = PtyScanner(kiosk.scanner_link)
        kiosk.wait_scanner()
        held = sandbox.faults.add("latency", count=1, path=f"/products/{code}", seconds=HELD_S)
        sandbox.faults.add("latency", count=1, path="/image/", seconds=30.0)
        scanner.send(code)
        deadline = time.monotonic() + 20
        while held.count:  # the API now holds the answer
            assert time.monotonic() < deadline, "the lookup never reached the API"
            time.sleep(0.02)
        asked = time.monotonic()
        kiosk.signal(signal.SIGTERM)
        assert kiosk.wait(30) == 0
        took = time.monotonic() - asked
        journal = kiosk.journal()
    finally:
        kiosk.stop()
    ended = [e for e in journal if e.get("MESSAGE", "").startswith("stopping: every thread")]
    waited = float(ended[0]["MESSAGE"].split(" in ")[1].split()[0]) if ended else None
    print(f"\nstop: SIGTERM to exit {took:.2f} s, of which waiting for the threads "
          f"{waited} s (the answer was held {HELD_S} s)")
    assert ended, [e.get("MESSAGE") for e in journal[-15:]]
    assert not [e for e in journal if "did not end" in e.get("MESSAGE", "")]
    with Store.open(tmp_path / "state", tmp_path / "cache", readonly=True) as store:
        hit = store.cache.get(code)
        assert hit is not None and hit.product.barcode == code  # paid, and kept
        assert store.queue.items() == []
    charged = [e for e in sandbox.ledger if e.path.endswith(f"/products/{code}")]
    assert len(charged) == 1
