"""The whole daemon with a screen that comes and goes (issue 25): it gets ready without
one, scans are looked up and journalled meanwhile, and a screen connected later shows the
current card. The screen is SDL's dummy driver behind a fake /sys/class/drm the scenario
rewrites, as an unplugged cable or a TV switched on leaves it."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import DisplayConfig
from kiosk.daemon.health import status_line
from kiosk.display import Display, NotFound
from kiosk.outcome import Outcome
from kiosk.sandbox import Sandbox
from tests.barcodes import UNKNOWN
from tests.daemon.inprocess import InProcess, messages
from tests.display.fakes import FakeDrm, FakeOpener, frame_of
from tests.helpers import wait_for

OTHER_UNKNOWN = "4006381333931"
GONE = "no display: HDMI-A-1 disconnected"


@pytest.fixture
def kiosk(daemon_env: None, tmp_path: Path, sandbox: Sandbox, drm: FakeDrm,
          opener: FakeOpener, monkeypatch: pytest.MonkeyPatch) -> InProcess:
    # Seconds in production; the scenario need not wait that long for each change.
    monkeypatch.setattr("kiosk.display.presenter.POLL_S", 0.05)
    monkeypatch.setattr("kiosk.display.presenter.RETRY_S", 0.3)

    def display(config: DisplayConfig) -> Display:
        return Display(config, drm_root=drm.root, kms=True, opener=opener)

    return InProcess(tmp_path, sandbox, display=display)


def showing(k: InProcess, barcode: str, opener: FakeOpener) -> bool:
    """The screen is open and its last frame is the canvas holding `barcode`'s card."""
    d = k.daemon.display
    state = d.state
    return (d.problem is None and isinstance(state, NotFound) and state.barcode == barcode
            and bool(opener.frames) and opener.frames[-1] == frame_of(d.canvas))


def test_ready_without_a_screen_then_it_shows_the_current_card(
        kiosk: InProcess, drm: FakeDrm, opener: FakeOpener,
        caplog: pytest.LogCaptureFixture) -> None:
    def scenario(k: InProcess) -> None:
        assert k.daemon.display.problem == GONE
        assert status_line(k.daemon.health).endswith(GONE)
        k.scan(UNKNOWN, Outcome.NOT_FOUND)  # looked up and journalled with no screen
        wait_for(lambda: bool(messages(caplog, f"scan {UNKNOWN}: not in the catalog")))
        assert opener.frames == []
        drm.set("connected")
        wait_for(lambda: showing(k, UNKNOWN, opener))
        wait_for(lambda: k.daemon.health.display is None)

    kiosk.run(scenario)
    assert messages(caplog, "no display") == [
        f"{GONE}; scanning goes on, the screen opens when one is connected"]
    assert messages(caplog, "display HDMI-A-1 connected: 1280x720 via dummy")


def test_unplugged_and_plugged_again_without_a_restart(
        kiosk: InProcess, drm: FakeDrm, opener: FakeOpener,
        caplog: pytest.LogCaptureFixture) -> None:
    drm.set("connected")

    def scenario(k: InProcess) -> None:
        k.scan(UNKNOWN, Outcome.NOT_FOUND)
        wait_for(lambda: showing(k, UNKNOWN, opener))
        drm.set("disconnected")
        wait_for(lambda: k.daemon.health.display == GONE)
        k.scan(OTHER_UNKNOWN, Outcome.NOT_FOUND)
        drm.set("connected")
        wait_for(lambda: showing(k, OTHER_UNKNOWN, opener))
        assert opener.opened == ["HDMI-A-1"] * 2

    kiosk.run(scenario)
    assert len(messages(caplog, GONE)) == 1


def test_a_flip_that_fails_is_a_screen_gone_not_a_crash(
        kiosk: InProcess, drm: FakeDrm, opener: FakeOpener,
        caplog: pytest.LogCaptureFixture) -> None:
    drm.set("connected")

    def scenario(k: InProcess) -> None:
        opener.break_next_flip = True
        k.scan(UNKNOWN, Outcome.NOT_FOUND)
        wait_for(lambda: opener.opened == ["HDMI-A-1"] * 2)  # after RETRY_S, opened again
        wait_for(lambda: showing(k, UNKNOWN, opener))

    kiosk.run(scenario)
    lost = messages(caplog, "no display: HDMI-A-1 lost (drmModePageFlip failed")
    assert len(lost) == 1
