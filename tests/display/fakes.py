"""A screen that comes and goes, for tests under SDL's dummy driver.

`FakeDrm` is a /sys/class/drm the test rewrites (a connector connected, unplugged, the
card removed); `FakeOpener` opens the real (dummy) SDL window the way the kiosk does, and
can refuse (a desktop holding the display) or break the next flip (a device gone mid-frame).
Their fixtures `drm` and `opener` serve the display's and the daemon's tests alike (a
plugin of tests/conftest.py).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pygame
import pytest

from kiosk.config import DisplayConfig
from kiosk.display.kms import Output
from kiosk.display.presenter import ScreenUnavailable, Window, open_window


class FakeDrm:
    """card0 = a render-only GPU, card1 = the display with `connector` (a Pi 5's order)."""

    def __init__(self, tmp: Path, connector: str = "HDMI-A-1") -> None:
        self.root = tmp / "drm"
        self.connector = connector
        (self.root / "card0").mkdir(parents=True)
        self.add_card()

    @property
    def _dir(self) -> Path:
        return self.root / f"card1-{self.connector}"

    def add_card(self, status: str = "disconnected") -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        (self.root / "card1").mkdir(exist_ok=True)
        self.set(status)

    def set(self, status: str, mode: str = "1280x720") -> None:
        # Whole files at once, as sysfs reads are: a poll from the daemon's thread must
        # never catch one truncated.
        self._write("modes", mode + "\n" if status == "connected" else "")
        self._write("status", status + "\n")

    def _write(self, name: str, text: str) -> None:
        tmp = self._dir / f".{name}.tmp"
        tmp.write_text(text)
        tmp.replace(self._dir / name)

    def remove_card(self) -> None:
        """What `echo 1 > /sys/bus/pci/devices/…/remove` leaves: no card1 at all."""
        shutil.rmtree(self._dir)
        shutil.rmtree(self.root / "card1")


class _Window(Window):
    def __init__(self, opener: FakeOpener, window: Window) -> None:
        super().__init__(window.surface, window.driver, window.name)
        self._opener = opener

    def update(self, rects: Sequence[tuple[int, int, int, int]] | None) -> None:
        if self._opener.break_next_flip:
            self._opener.break_next_flip = False
            raise pygame.error("drmModePageFlip failed: No such device")
        super().update(rects)
        self._opener.frames.append(pygame.image.tobytes(self.surface, "RGB"))


class FakeOpener:
    """`open_window` with a few ways to fail; `frames` holds every frame presented."""

    def __init__(self) -> None:
        self.opened: list[str] = []
        self.busy: str | None = None
        self.break_next_flip = False
        self.frames: list[bytes] = []

    def __call__(self, output: Output | None, config: DisplayConfig) -> Window:
        if self.busy is not None:
            raise ScreenUnavailable(self.busy)
        window = open_window(output, config)
        self.opened.append(window.name)
        return _Window(self, window)


def frame_of(canvas: Any, rotation: int = 0) -> bytes:
    """The bytes a screen shows for `canvas` turned by `rotation`."""
    import pygame.transform

    turned = pygame.transform.rotate(canvas, rotation) if rotation else canvas
    return pygame.image.tobytes(turned, "RGB")


@pytest.fixture
def drm(tmp_path: Path) -> FakeDrm:
    return FakeDrm(tmp_path)


@pytest.fixture
def opener() -> FakeOpener:
    return FakeOpener()
