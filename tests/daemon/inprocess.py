"""The whole daemon in-process, for the daemon's tests: the real `Daemon` (main loop,
worker, drainer, API client) with a `FakeReader` for the scanner, the sandbox over
loopback for the API and SDL's dummy display; no subprocess, no journal, no signals."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import (
    ApiConfig,
    Config,
    DisplayConfig,
    MetricsConfig,
    PricesConfig,
    ScannerConfig,
    StorageConfig,
)
from kiosk.daemon import Daemon, ScanResult
from kiosk.display import Display
from kiosk.outcome import Outcome
from kiosk.sandbox import Sandbox
from kiosk.scanner import FakeReader, OnScan, OnStatus, Reader
from tests.helpers import run_daemon

__all__ = ["InProcess", "messages"]


class InProcess:
    """A daemon to run on the main thread (pygame wants it) while `scenario` drives it
    from another. `display_cfg`, `scanner_cfg`: those sections of its configuration
    (default: the staff screen, no double-read window); `prices_cfg`: its [prices]
    (default: none); `daemon_kw`: more `Daemon` arguments."""

    def __init__(self, tmp: Path, sandbox: Sandbox, metrics_file: Path | None = None, *,
                 display_cfg: DisplayConfig | None = None,
                 scanner_cfg: ScannerConfig | None = None,
                 prices_cfg: PricesConfig | None = None, **daemon_kw: Any) -> None:
        key = tmp / "api_key"
        key.write_text(sandbox.api_key)
        key.chmod(0o600)
        cfg = Config(
            api=ApiConfig(base_url=sandbox.base_url, client_id=sandbox.client_id,
                          api_key_file=key, ca_file=sandbox.ca_file),
            scanner=scanner_cfg or ScannerConfig(duplicate_window_s=0),
            display=display_cfg or DisplayConfig(mode="staff", fullscreen=False, size=[800, 480]),
            storage=StorageConfig(state_dir=tmp / "state", cache_dir=tmp / "cache"),
            metrics=MetricsConfig(textfile=str(metrics_file or ""), interval_s=1),
            prices=prices_cfg or PricesConfig(),
        )
        self.reader: FakeReader | None = None
        self.shown: list[tuple[ScanResult, bool | None]] = []  # with health.online then
        self._changed = threading.Condition()
        self.on_show: Callable[[ScanResult, Display], None] | None = None  # after each paint
        self.daemon = Daemon(cfg, readers=self._readers, signals=False,
                             after_show=self._after_show, **daemon_kw)

    def _readers(self, cfg: ScannerConfig, devices: list[str], on_scan: OnScan,
                 on_status: OnStatus) -> list[Reader]:
        self.reader = FakeReader(on_scan, on_status, source="fake:0")
        return [self.reader]

    def _after_show(self, record: ScanResult, display: Display) -> None:
        with self._changed:
            self.shown.append((record, self.daemon.health.online))
            self._changed.notify_all()
        if self.on_show is not None:
            self.on_show(record, display)

    def scan(self, code: str, outcome: Outcome) -> bool | None:
        """Scan `code`, wait for its screen; what the daemon held as online then."""
        assert self.reader is not None
        before = len(self.shown)
        self.reader.feed(code)
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.shown) > before, 20), self.shown
            record, online = self.shown[before]
        assert (record.barcode, record.outcome) == (code, outcome)
        return online

    def scan_whole(self, code: str, outcome: Outcome) -> ScanResult:
        """Scan `code` and wait for its complete screen (a card's photo in); its result."""
        assert self.reader is not None
        before = len(self.shown)
        self.reader.feed(code)

        def done() -> ScanResult | None:
            return next((r for r, _ in self.shown[before:]
                         if r.barcode == code and not r.photo_pending), None)

        with self._changed:
            assert self._changed.wait_for(done, 20), self.shown
            record = done()
        assert record is not None and record.outcome == outcome, record
        return record

    def run(self, scenario: Callable[[Any], None]) -> None:
        """Run the daemon until `scenario(self)` (on its own thread) is done; re-raise its
        failure; the daemon must exit 0."""
        assert run_daemon(self.daemon, lambda: scenario(self)) == 0


def metrics_written(path: Path) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """The samples in the daemon's metrics file; none while it is missing or half written."""
    from tests.test_metrics import parse

    try:
        return parse(path.read_text())[1]
    except (FileNotFoundError, KeyError):
        return {}


def messages(caplog: pytest.LogCaptureFixture, prefix: str) -> list[str]:
    """The kiosk's log lines (caplog) that start with `prefix`."""
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(prefix)]
