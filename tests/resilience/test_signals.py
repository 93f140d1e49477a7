"""SIGTERM while a lookup is in flight: exit 0, and the scan is shown or queued, never
lost; a restarted daemon finishes it with at most one repeated lookup."""

from __future__ import annotations

import signal
from pathlib import Path

from kiosk.sandbox import Sandbox
from tests.resilience.util import (
    Figures,
    Fleet,
    lookups,
    products,
    snapshot,
    stop,
    wait_for,
)


def test_sigterm_during_a_lookup(tmp_path: Path, sandbox: Sandbox, figures: Figures,
                                 fleet: Fleet) -> None:
    case = figures.case("SIGTERM during a slow lookup, then a restart")
    (slow,) = products(sandbox, 1)
    k, scanner = fleet.start_scanning(tmp_path, sandbox)
    try:
        sandbox.faults.add("latency", count=1, path=f"/products/{slow}", seconds=2.0)
        scanner.send(slow)
        case.scans += 1
        wait_for(lambda: not sandbox.faults.pending(), 10, "the lookup to reach the API")
        k.signal(signal.SIGTERM)
        assert k.wait(15) == 0
        assert "STOPPING=1" in k.notify.lines()
        stop(k)
        kept = snapshot(tmp_path, [slow])
        assert not kept.lost([slow]), "the scan was neither shown nor saved"

        again = fleet.start(tmp_path, sandbox)
        again.wait_ready()
        wait_for(lambda: not snapshot(tmp_path, [slow]).queued, 20, "the queue to drain")
        assert again.alive()
        assert stop(again) == 0
    finally:
        scanner.unplug()
    after = snapshot(tmp_path, [slow])
    case.lost = len(after.lost([slow]))
    case.double_charges = max(0, lookups(sandbox, slow) - 1)
    assert after.cached == {slow} and case.lost == 0
    assert 1 <= lookups(sandbox, slow) <= 2
