"""The main loop wakes only when something is due, counted through `Daemon.wakes`.

The clock here is the watchdog, through a real `NOTIFY_SOCKET`: with the screen blanked
(no attract arrow to animate), the API answering and the status said, the only thing
left due is the next WATCHDOG=1. So between two pings the loop wakes once, and every
ping still goes out: a fixed poll (the loop once woke every 0.5 s in full screen, every
0.05 s in a window) shows up as wakes the pings do not account for.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from kiosk.config import DisplayConfig
from kiosk.sandbox import Sandbox
from tests.daemon.inprocess import InProcess
from tests.helpers import wait_for
from tests.support.harness import NotifySocket

PINGS = 4
# A ping every 0.6 s: longer than the old full-screen poll (0.5 s), so a poll that came
# back would wake the loop between two pings instead of hiding behind them.
WATCHDOG_USEC = 1_200_000


def test_an_idle_full_screen_loop_wakes_only_for_the_watchdog(
        daemon_env: None, tmp_path: Path, sandbox: Sandbox,
        monkeypatch: pytest.MonkeyPatch) -> None:
    notify = NotifySocket(tmp_path / "notify")
    monkeypatch.setenv("NOTIFY_SOCKET", str(notify.path))
    monkeypatch.setenv("WATCHDOG_USEC", str(WATCHDOG_USEC))
    kiosk = InProcess(tmp_path, sandbox, display_cfg=DisplayConfig(
        mode="shopper", fullscreen=True, size=[800, 480], blank_after_s=0.01))
    windows: list[tuple[Counter[str], int]] = []

    def pings() -> int:
        return len(notify.times_of("WATCHDOG=1"))

    def window(n: int) -> tuple[Counter[str], int]:
        """The loop's wakes, by reason, and the pings sent, over the next `n` pings."""
        wakes, sent = kiosk.daemon.wakes.copy(), pings()
        wait_for(lambda: pings() >= sent + n, what=f"{n} watchdog pings")
        return kiosk.daemon.wakes.copy() - wakes, pings() - sent

    def scenario(k: InProcess) -> None:
        # Settled: start-up (the probe, the first status writes, blanking) is over once
        # nothing is left to say and a few pings pass with nothing else waking the loop.
        wait_for(lambda: k.daemon.health.online is True and k.daemon.status.due is None
                 and set(window(2)[0]) == {"watchdog"}, what="an idle loop")
        windows.append(window(PINGS))

    try:
        kiosk.run(scenario)
    finally:
        notify.sock.close()
    ((wakes, sent),) = windows
    assert sent >= PINGS
    assert set(wakes) == {"watchdog"}, wakes
    assert abs(wakes["watchdog"] - sent) <= 1  # a wake may fall before its ping is read
