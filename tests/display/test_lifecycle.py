"""The screen's lifecycle on KMS/DRM, played on a fake sysfs with SDL's dummy driver:
no screen at start, one connected later, unplugged, busy, broken mid-frame. The
clock is the test's: `tick(now)` is called at chosen times, nothing sleeps."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

import pygame
import pytest

from kiosk.config import DisplayConfig
from kiosk.display import Display, NotFound
from kiosk.display.presenter import POLL_S, RETRY_S
from tests.barcodes import UNKNOWN
from tests.display.fakes import FakeDrm, FakeOpener, frame_of


@contextlib.contextmanager
def headless(drm: FakeDrm, opener: FakeOpener, **cfg: object) -> Iterator[Display]:
    """A full-screen display on the fake sysfs, started at time 0, closed after."""
    config = DisplayConfig(size=[800, 480], **cfg)  # type: ignore[arg-type]
    d = Display(config, now=0.0, drm_root=drm.root, kms=True, opener=opener)
    try:
        yield d
    finally:
        d.close()


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_no_screen_at_start_the_display_works_on_its_canvas(
        drm: FakeDrm, opener: FakeOpener, caplog: pytest.LogCaptureFixture) -> None:
    with headless(drm, opener) as d:
        assert d.problem == "no display: HDMI-A-1 disconnected"
        assert d.driver == "none" and not pygame.display.get_init()
        assert d.size == (800, 480)
        d.show(NotFound(UNKNOWN), now=1.0)
        assert d.canvas.get_at((5, 5)) != (0, 0, 0, 255)  # painted, in memory
        for t in range(1, 20):
            assert d.tick(float(t)) is not None  # the next look at sysfs is always due
        assert warnings(caplog) == ["no display: HDMI-A-1 disconnected; scanning goes on, "
                                    "the screen opens when one is connected"]
        assert opener.opened == []


def test_a_connected_screen_shows_the_current_state_at_its_size(
        drm: FakeDrm, opener: FakeOpener, caplog: pytest.LogCaptureFixture) -> None:
    with headless(drm, opener) as d:
        d.show(NotFound(UNKNOWN), now=1.0)
        changes: list[str | None] = []
        d.on_problem = changes.append
        drm.set("connected", "1920x1080")
        caplog.set_level(logging.INFO)
        d.tick(1.0 + POLL_S)
        assert opener.opened == ["HDMI-A-1"] and d.problem is None and changes == [None]
        assert d.size == (1920, 1080)  # laid out again for the screen
        assert isinstance(d.state, NotFound)  # the current screen, not the idle one
        assert opener.frames[-1] == frame_of(d.canvas)
        assert "display HDMI-A-1 connected: 1920x1080 via dummy, rotation 0" in caplog.text


def test_unplugged_and_back_each_change_said_once(
        drm: FakeDrm, opener: FakeOpener, caplog: pytest.LogCaptureFixture) -> None:
    drm.set("connected")
    with headless(drm, opener) as d:
        assert opener.opened == ["HDMI-A-1"] and d.size == (1280, 720)
        drm.set("disconnected")
        now = 0.0
        for _ in range(5):
            now += POLL_S
            d.tick(now)
        assert d.problem == "no display: HDMI-A-1 disconnected"
        assert not pygame.display.get_init()  # DRM master released
        d.show(NotFound("4006381333931"), now=now)
        drm.set("connected")
        d.tick(now + POLL_S)
        assert opener.opened == ["HDMI-A-1"] * 2
        assert opener.frames[-1] == frame_of(d.canvas)
        assert len(warnings(caplog)) == 1


def test_the_card_removed_is_a_screen_gone(drm: FakeDrm, opener: FakeOpener) -> None:
    drm.set("connected")
    with headless(drm, opener) as d:
        drm.remove_card()
        d.tick(POLL_S)
        assert d.problem == "no display: no display card"
        drm.add_card("connected")
        d.tick(2 * POLL_S)
        assert d.problem is None and opener.opened == ["HDMI-A-1"] * 2


def test_a_failing_flip_is_a_screen_gone_and_not_reopened_at_once(
        drm: FakeDrm, opener: FakeOpener, caplog: pytest.LogCaptureFixture) -> None:
    drm.set("connected")
    with headless(drm, opener) as d:
        opener.break_next_flip = True
        d.show(NotFound(UNKNOWN), now=1.0)  # raises nothing
        assert d.problem is not None
        assert d.problem.startswith("no display: HDMI-A-1 lost (drmModePageFlip failed")
        d.tick(POLL_S)
        assert opener.opened == ["HDMI-A-1"]  # a broken device is not retried every poll
        d.tick(RETRY_S + POLL_S)
        assert opener.opened == ["HDMI-A-1"] * 2 and d.problem is None
        assert opener.frames[-1] == frame_of(d.canvas)
        assert len(warnings(caplog)) == 1


def test_a_busy_screen_is_retried_later_and_said_once(
        drm: FakeDrm, opener: FakeOpener, caplog: pytest.LogCaptureFixture) -> None:
    drm.set("connected")
    opener.busy = "display busy: HDMI-A-1 cannot be opened (Permission denied)"
    with headless(drm, opener) as d:
        assert d.problem == opener.busy
        for t in range(1, 5):  # polls within RETRY_S do not try again
            d.tick(t * POLL_S)
        opener.busy = None
        d.tick(RETRY_S + POLL_S)
        assert d.problem is None and opener.opened == ["HDMI-A-1"]
        assert len(warnings(caplog)) == 1


def test_a_pinned_output_waits_for_that_one(tmp_path: Path, opener: FakeOpener) -> None:
    drm = FakeDrm(tmp_path, connector="HDMI-A-2")
    drm.set("connected")
    with headless(drm, opener, output="HDMI-A-1") as d:
        assert d.problem == "no display: HDMI-A-1 not found (this machine has HDMI-A-2)"
        assert opener.opened == []
