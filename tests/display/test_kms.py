"""Waiting at boot for the display driver: on a sysfs tree the test builds, a fake clock."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.display.kms import BOOT_WINDOW_S, has_connector, wait_for_screen


class Boot:
    """A clock and a sleep; the connector appears when the clock reaches `appears_at`."""

    def __init__(self, root: Path, appears_at: float | None) -> None:
        self.root, self.appears_at, self.now, self.slept = root, appears_at, 0.0, 0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += 1
        if self.appears_at is not None and self.now >= self.appears_at:
            (self.root / "card1-HDMI-A-1").mkdir(exist_ok=True)


def drm(tmp_path: Path, *names: str) -> Path:
    root = tmp_path / "drm"
    root.mkdir(parents=True)
    for name in names:
        (root / name).mkdir()
    return root


def test_only_a_cards_connector_counts(tmp_path: Path) -> None:
    # A Pi 5: the render-only v3d (card0, renderD128) comes up before vc4's connectors.
    assert not has_connector(drm(tmp_path, "card0", "renderD128", "version"))
    assert has_connector(drm(tmp_path / "b", "card0", "card1", "card1-HDMI-A-1"))
    assert not has_connector(tmp_path / "no-drm-here")


def test_at_boot_it_waits_until_the_driver_binds(tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    boot = Boot(drm(tmp_path, "card0"), appears_at=3.0)
    caplog.set_level("INFO")
    assert wait_for_screen(boot.root, since_boot=12.0, clock=boot.clock, sleep=boot.sleep)
    assert 3.0 <= boot.now < 3.5
    assert "waiting up to 20 s for the display driver" in caplog.text
    assert "screen appeared after 3." in caplog.text


def test_at_boot_the_wait_is_bounded(tmp_path: Path) -> None:
    boot = Boot(drm(tmp_path, "card0"), appears_at=None)
    assert not wait_for_screen(boot.root, since_boot=12.0, wait_s=5.0, clock=boot.clock,
                               sleep=boot.sleep)
    assert 5.0 <= boot.now < 5.5


def test_later_a_missing_screen_is_reported_at_once(tmp_path: Path) -> None:
    boot = Boot(drm(tmp_path, "card0"), appears_at=1.0)
    assert not wait_for_screen(boot.root, since_boot=BOOT_WINDOW_S + 1, clock=boot.clock,
                               sleep=boot.sleep)
    assert boot.slept == 0


def test_a_screen_that_is_there_costs_no_wait(tmp_path: Path) -> None:
    boot = Boot(drm(tmp_path, "card0", "card0-Virtual-1"), appears_at=None)
    assert wait_for_screen(boot.root, since_boot=1.0, clock=boot.clock, sleep=boot.sleep)
    assert boot.slept == 0
