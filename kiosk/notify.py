"""The systemd notify protocol: READY, STATUS, WATCHDOG, RELOADING, STOPPING.

`systemd.daemon.notify` does nothing when `NOTIFY_SOCKET` is unset (a terminal, a
test without a socket), so the daemon can call these unconditionally.
"""

from __future__ import annotations

import logging
import os
import time

from kiosk.sanitize import escape_controls

__all__ = ["Notifier"]

logger = logging.getLogger(__name__)


class Notifier:
    def __init__(self) -> None:
        usec = os.environ.get("WATCHDOG_USEC", "")
        pid = os.environ.get("WATCHDOG_PID", "")
        enabled = usec.isdigit() and int(usec) > 0 and (not pid or pid == str(os.getpid()))
        # Ping at half the watchdog interval, as sd_watchdog_enabled(3) advises.
        self.watchdog_interval = int(usec) / 2e6 if enabled else None
        self._last_ping = float("-inf")
        self._status = ""

    def ready(self, status: str) -> None:
        self._status = status
        self._send(f"READY=1\nSTATUS={_one_line(status)}")

    def status(self, status: str) -> None:
        if status != self._status:
            self._status = status
            self._send(f"STATUS={_one_line(status)}")

    def _send(self, state: str) -> None:
        try:
            from systemd import daemon
        except ImportError:  # pragma: no cover - systemd-python is a dependency
            return
        try:
            daemon.notify(state)
        except OSError as exc:
            logger.debug("sd_notify failed: %s", exc)

    def stopping(self) -> None:
        self._send("STOPPING=1")

    def reloading(self) -> None:
        self._send("RELOADING=1")

    def reloaded(self, status: str) -> None:
        """The end of a reload, refused or done: systemd holds `systemctl reload` (and
        every later job) until READY=1 follows RELOADING=1 (sd_notify(3))."""
        self._status = status
        self._send(f"READY=1\nSTATUS={_one_line(status)}")

    def watchdog(self, now: float | None = None) -> None:
        """Ping if due. Call from the main loop only, so a stuck loop stops the pings."""
        if self.watchdog_interval is None:
            return
        now = time.monotonic() if now is None else now
        if now - self._last_ping >= self.watchdog_interval:
            self._last_ping = now
            self._send("WATCHDOG=1")

    def next_ping(self) -> float | None:
        if self.watchdog_interval is None:
            return None
        return self._last_ping + self.watchdog_interval


def _one_line(status: str) -> str:
    """STATUS= is one line: text from the API (an error code) must not add another."""
    return escape_controls(status, 400)
