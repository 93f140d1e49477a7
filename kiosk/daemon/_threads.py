"""The daemon's threads, stopped together: every one told at once, then all waited for
against one deadline, so the slowest (a paid lookup finishing) sets the pace, not the
sum. The scanner readers, one thread each, opened again on a reload. The signals that
stop and reload it all."""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from types import FrameType

from kiosk.config import ScannerConfig
from kiosk.scanner import OnScan, OnStatus, Reader

__all__ = ["ReaderFactory", "Readers", "Stoppables", "install_signals"]

logger = logging.getLogger(__name__)

ReaderFactory = Callable[[ScannerConfig, list[str], OnScan, OnStatus], list[Reader]]


class Stoppables:
    """What an orderly stop tells (`tell`, at once) and then waits for (`join(deadline)`,
    True when it ended). `ended` is False once one outlived the stop: what it uses (the
    store, the HTTP client) must then be left open."""

    def __init__(self) -> None:
        self.ended = True
        self._items: list[tuple[str, Callable[[], None], Callable[[float], bool]]] = []

    def add(self, name: str, tell: Callable[[], None], join: Callable[[float], bool], *,
            at: int | None = None) -> None:
        """Stopped in list order (`at`: a place in it; by default the end)."""
        item = (name, tell, join)
        self._items.insert(len(self._items) if at is None else at, item)

    def stop_all(self, wait_s: float) -> None:
        started = time.monotonic()
        deadline = started + wait_s
        for _, tell, _ in self._items:
            tell()
        still = [name for name, _, join in self._items if not join(deadline)]
        self._items = []
        if still:
            self.ended = False
            logger.error("stopping: %s did not end within %.1f s", " and ".join(still),
                         wait_s)
        else:
            logger.info("stopping: every thread ended in %.2f s", time.monotonic() - started)


def install_signals(*, stop: Callable[[], None], reload: Callable[[], None]) -> None:
    """SIGTERM and SIGINT stop, SIGHUP reloads (the main thread's handlers)."""

    def on_stop(signum: int, frame: FrameType | None) -> None:
        stop()

    def on_reload(signum: int, frame: FrameType | None) -> None:
        reload()

    signal.signal(signal.SIGTERM, on_stop)
    signal.signal(signal.SIGINT, on_stop)
    signal.signal(signal.SIGHUP, on_reload)


class Readers:
    """The scanner readers the factory makes (None: no readers, as in the demo)."""

    def __init__(self, factory: ReaderFactory | None, on_scan: OnScan,
                 on_status: OnStatus) -> None:
        self._factory = factory
        self._on_scan = on_scan
        self._on_status = on_status
        self._readers: list[Reader] = []

    def open(self, cfg: ScannerConfig, devices: list[str]) -> list[str]:
        """Start them; their sources."""
        if self._factory is None:
            return []
        self._readers = self._factory(cfg, devices, self._on_scan, self._on_status)
        for reader in self._readers:
            reader.start()
        return [reader.source for reader in self._readers]

    def close(self) -> None:
        for reader in self._readers:
            reader.stop()
        self._readers = []

    def tell(self) -> None:
        for reader in self._readers:
            reader.stop(0.0)  # told, not waited for

    def join(self, deadline: float) -> bool:
        """Readers touch neither the store nor the screen, so one that outlives the stop
        (it says so itself) does not keep them open: always True."""
        for reader in self._readers:
            reader.stop(max(0.0, deadline - time.monotonic()))
        self._readers = []
        return True
