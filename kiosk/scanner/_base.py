"""What the threaded readers share: the stop event, one-shot status transitions, and
callbacks that cannot kill the reader thread."""

from __future__ import annotations

import logging
import threading

from kiosk.scanner.scan import OnScan, OnStatus, Scan

logger = logging.getLogger(__name__)

#: How often a missing device is looked for again.
RETRY_S = 1.0
#: How long a reader blocks on an idle device. It bounds how soon stop() returns, and
#: keeps an idle kiosk's readers at two wake-ups a second instead of forty.
IDLE_WAIT_S = 0.5


def read_wait(inter_key_timeout_s: float, partial: bool) -> float:
    """How long a reader may block on its device: while a partial scan waits for its
    inter-key timeout, a fraction of that timeout (so the scan ends close to it); on an
    idle device, IDLE_WAIT_S."""
    if not partial:
        return IDLE_WAIT_S
    return min(0.05, max(0.005, inter_key_timeout_s / 2))


class ReaderThread:
    """Base of the evdev and serial readers: the one open / read / retry loop.

    A subclass says how to open its device (`_open`), read it once (`_read_once`, waiting
    only a fraction of a second so `stop()` returns promptly), which errors mean the
    device is lost (`_lost_on`) and what is lost with it (`_lost`). Status is reported
    per transition: a device missing for an hour is one WARNING and one `on_status`
    call, not 3600.
    """

    def __init__(
        self, source: str, on_scan: OnScan, on_status: OnStatus, retry_s: float = RETRY_S
    ) -> None:
        self._source = source
        self._retry_s = retry_s
        self._on_scan = on_scan
        self._on_status = on_status
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._connected: bool | None = None
        # Log under the concrete reader's module, which is what an admin filters on.
        self._log = logging.getLogger(type(self).__module__)

    @property
    def source(self) -> str:
        return self._source

    @property
    def connected(self) -> bool | None:
        """None before the first attempt to open the device, then its last known state."""
        return self._connected

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"reader {self._source} already started")
        self._thread = threading.Thread(
            target=self._guarded_run, name=f"scanner {self._source}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Tell the thread to stop and wait up to `timeout`; `stop(0)` only tells it (the
        daemon tells every thread first, then waits for them all)."""
        self._stop_event.set()
        if self._thread is not None and timeout > 0:
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("reader %s did not stop within %.1f s", self._source, timeout)

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop_event.is_set():
            if not self._is_open:
                opened, detail = self._open()
                self._set_status(opened, detail)
                if not opened:
                    self._stop_event.wait(self._retry_s)
                    continue
            try:
                self._read_once()
            except self._lost_on() as exc:
                detail = self._lost(exc)
                self._close()
                self._set_status(False, detail)
                # A device that opens but cannot be read must not be reopened in a busy loop.
                self._stop_event.wait(self._retry_s)
        self._close()

    @property
    def _is_open(self) -> bool:
        raise NotImplementedError

    def _open(self) -> tuple[bool, str]:
        """Try to open the device: (opened, a detail line for the status either way)."""
        raise NotImplementedError

    def _read_once(self) -> None:
        """Wait briefly for input, emit the scans it completes; raise on a lost device."""
        raise NotImplementedError

    def _lost_on(self) -> tuple[type[Exception], ...]:
        """The errors of `_read_once` that mean the device is gone (closed, retried)."""
        return (OSError,)

    def _lost(self, exc: Exception) -> str:
        """The status detail for a device lost with `exc`; drop what it took with it."""
        return f"read failed: {exc}"

    def _guarded_run(self) -> None:
        # The loop handles every device error it knows; anything else is a bug, but the
        # kiosk must keep reading scans, so log it with its traceback and start over.
        while not self._stop_event.is_set():
            try:
                self._run()
            except Exception:
                logger.exception("reader %s failed; restarting it in %.1f s", self._source,
                                 self._retry_s)
                self._close()
                self._set_status(False, "reader error (see log)")
                self._stop_event.wait(self._retry_s)

    def _close(self) -> None:
        """Release the device, if open; must not raise."""

    def _set_status(self, connected: bool, detail: str) -> None:
        if self._connected is connected:
            return
        self._connected = connected
        if connected:
            self._log.info("scanner %s connected: %s", self._source, detail)
        else:
            self._log.warning("scanner %s not available: %s", self._source, detail)
        try:
            self._on_status(self._source, connected, detail)
        except Exception:
            logger.exception("on_status callback failed for %s", self._source)

    def _emit(self, scan: Scan) -> None:
        try:
            self._on_scan(scan)
        except Exception:
            logger.exception("on_scan callback failed; scan from %s lost", self._source)
