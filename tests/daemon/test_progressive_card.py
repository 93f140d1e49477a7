"""The progressive card, in-process: the real `Daemon` (its main loop, worker and API
client) against the sandbox over real TCP, on SDL's dummy display.

A card from the API is drawn as soon as the product data is in, with an empty panel
where the photo goes; the photo fills that panel when it has downloaded, and nothing
else on the screen changes. The journal entry (one per scan) gets FIRST_PAINT_MS beside
LATENCY_MS. The photo is held back by the sandbox's latency fault on /image/.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pygame
import pytest

from kiosk.config import DisplayConfig, ScannerConfig
from kiosk.daemon import ScanResult
from kiosk.display import Card, Display
from kiosk.display.layout import card_image_box
from kiosk.display.theme import PALETTE
from kiosk.outcome import Outcome
from kiosk.product import Product
from kiosk.sandbox import Sandbox
from kiosk.sandbox.catalog import public_record
from kiosk.scanner import Scan
from tests.daemon.inprocess import InProcess
from tests.helpers import wait_for, with_photo

SIZE = (800, 480)
HOLD_S = 0.5  # the sandbox answers the photo's download this much later


@dataclass(frozen=True)
class Paint:
    """One paint of a scan's screen, seen from the main thread right after it."""

    barcode: str
    pending: bool
    photo_centre: tuple[int, int, int]
    outside_photo: bytes  # the window with the photo box blanked


class Running(InProcess):
    """The daemon on this (the main) thread, on the shopper screen; each paint kept."""

    def __init__(self, tmp: Path, sandbox: Sandbox, **daemon_kw: Any) -> None:
        super().__init__(tmp, sandbox, scanner_cfg=ScannerConfig(), display_cfg=DisplayConfig(
            mode="shopper", fullscreen=False, size=list(SIZE), card_seconds=60.0), **daemon_kw)
        self.paints: list[Paint] = []
        self._painted = threading.Condition()
        self.on_show = self._keep_paint

    def _keep_paint(self, record: ScanResult, display: Display) -> None:
        box = card_image_box(display.size, display.mode)
        surface = pygame.display.get_surface()
        centre = surface.get_at((box.x + box.w // 2, box.y + box.h // 2))
        shot = surface.copy()
        shot.fill((0, 0, 0), box.as_tuple())
        pending = record.photo_pending
        with self._painted:
            self.paints.append(Paint(record.barcode, pending, (centre.r, centre.g, centre.b),
                                     pygame.image.tobytes(shot, "RGB")))
            self._painted.notify_all()

    def submit(self, barcode: str, source: str = "test") -> None:
        """A scan from `source`, handed to the worker as a reader would."""
        self.daemon.worker.submit(Scan(barcode, source, time.monotonic()))

    def wait_paints(self, n: int, timeout: float = 20.0) -> list[Paint]:
        with self._painted:
            assert self._painted.wait_for(lambda: len(self.paints) >= n, timeout), self.paints
            return list(self.paints)


@pytest.fixture
def running(daemon_env: None, tmp_path: Path, sandbox: Sandbox) -> Running:
    return Running(tmp_path, sandbox)


def scan_entries(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [vars(r) for r in caplog.records if getattr(r, "KIOSK_EVENT", None) == "scan"]


def test_card_first_with_an_empty_photo_panel_then_the_photo_and_nothing_else_moves(
        running: Running, sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    (code,) = with_photo(sandbox)[:1]
    sandbox.faults.add("latency", path="/image/", seconds=HOLD_S)

    def scenario(r: Running) -> None:
        r.submit(code)
        r.wait_paints(2)
        r.submit(code, "another reader")  # again (not a double read): from the cache
        r.wait_paints(3)

    running.run(scenario)
    early, complete, cached = running.paints
    assert (early.barcode, early.pending) == (code, True)
    assert early.photo_centre == PALETTE.placeholder
    assert (complete.barcode, complete.pending) == (code, False)
    assert complete.photo_centre != PALETTE.placeholder  # the photo is drawn there
    assert complete.outside_photo == early.outside_photo
    assert (cached.pending, cached.photo_centre) == (False, complete.photo_centre)

    shown, from_cache = scan_entries(caplog)  # one entry per scan, none for the early paint
    assert (shown["OUTCOME"], from_cache["OUTCOME"]) == ("shown", "cached")
    assert float(shown["FIRST_PAINT_MS"]) < float(shown["LATENCY_MS"])
    assert from_cache["FIRST_PAINT_MS"] == from_cache["LATENCY_MS"]


def test_an_older_lookups_late_photo_does_not_cover_a_newer_card(
        running: Running, sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    older, newer = with_photo(sandbox)[:2]
    product = {code: Product.from_api(public_record(sandbox.catalog[code]), barcode=code)
               for code in (older, newer)}

    def record(code: str, seq: int, outcome: Outcome, **answer: Any) -> ScanResult:
        return ScanResult(outcome, code, product[code], source="test", t_last=time.monotonic(),
                          seq=seq, **answer)

    def scenario(r: Running) -> None:
        # As the worker sends them when a cached scan overtakes a lookup in flight.
        r.daemon.post(record(older, 1001, Outcome.SHOWN, photo_pending=True))
        r.wait_paints(1)  # results within one frame are painted once, the newest only
        r.daemon.post(record(newer, 1002, Outcome.CACHED, from_cache=True))
        r.daemon.post(record(older, 1001, Outcome.SHOWN, credits=1.3))
        r.wait_paints(2)
        # The late photo is logged, not painted.
        wait_for(lambda: len(scan_entries(caplog)) >= 2, what="both journal entries")

    running.run(scenario)
    assert [(p.barcode, p.pending) for p in running.paints] == [(older, True), (newer, False)]
    state = running.daemon.display.state
    assert isinstance(state, Card) and state.product.barcode == newer
    cached, late = scan_entries(caplog)
    assert (cached["BARCODE"], late["BARCODE"]) == (newer, older)
    assert "FIRST_PAINT_MS" in late and "LATENCY_MS" not in late  # drawn early, never complete


def test_the_complete_card_goes_up_at_once_after_its_early_card_not_a_frame_later(
        daemon_env: None, tmp_path: Path, sandbox: Sandbox) -> None:
    """A frame an hour long: past the burst every paint would wait that hour, so the four
    paints below (two scans, each early and complete) show that a complete card never
    waits for a frame slot after its own early card, and a second scan not for one after
    the first (the burst)."""
    running = Running(tmp_path, sandbox, frame_interval_s=3600.0)
    codes = with_photo(sandbox)[:2]
    product = {code: Product.from_api(public_record(sandbox.catalog[code]), barcode=code)
               for code in codes}

    def scenario(r: Running) -> None:
        for seq, code in enumerate(codes, 2001):
            for pending in (True, False):
                r.daemon.post(ScanResult(Outcome.SHOWN, code, product[code], source="test",
                                         t_last=time.monotonic(), seq=seq,
                                         photo_pending=pending))
                r.wait_paints(len(r.paints) + 1)

    running.run(scenario)
    assert [(p.barcode, p.pending) for p in running.paints] == [
        (codes[0], True), (codes[0], False), (codes[1], True), (codes[1], False)]


def test_an_early_card_that_came_fast_is_drawn_once_complete_when_its_photo_follows(
        daemon_env: None, tmp_path: Path, sandbox: Sandbox,
        caplog: pytest.LogCaptureFixture) -> None:
    """A hold an hour long: the complete card joining the held early card must end the
    hold (the test would time out otherwise), and only the complete card is drawn."""
    running = Running(tmp_path, sandbox, early_hold_s=3600.0)
    (code,) = with_photo(sandbox)[:1]
    product = Product.from_api(public_record(sandbox.catalog[code]), barcode=code)

    def post(pending: bool) -> None:
        running.daemon.post(ScanResult(Outcome.SHOWN, code, product, source="test",
                                       t_last=time.monotonic(), seq=3001,
                                       photo_pending=pending))

    def scenario(r: Running) -> None:
        handled = r.daemon.wakes["event"]
        post(True)
        wait_for(lambda: r.daemon.wakes["event"] > handled, what="the early card seen")
        post(False)
        wait_for(lambda: len(scan_entries(caplog)) >= 1, what="the scan's journal entry")

    running.run(scenario)
    assert [(p.barcode, p.pending) for p in running.paints] == [(code, False)]
    (entry,) = scan_entries(caplog)
    assert entry["FIRST_PAINT_MS"] == entry["LATENCY_MS"]  # drawn in one go
