"""Which screen the kiosk ends up on: never an invisible one it was not asked for, and
without a screen it comes up anyway, saying why nothing is shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OPEN = """
from kiosk.config import DisplayConfig
from kiosk.display import Display
from kiosk.errors import DisplayError
try:
    d = Display(DisplayConfig(fullscreen={fullscreen}))
except DisplayError as exc:
    print("refused:", exc)
else:
    print("driver:", d.driver, d.problem or "")
    d.close()
"""


def open_display(fullscreen: bool, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("SDL_VIDEODRIVER", "DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.run([sys.executable, "-c", OPEN.format(fullscreen=fullscreen)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120, check=True,
                          env={**clean, "PYTHONPATH": str(ROOT), **env})
    return proc.stdout.strip().splitlines()[-1]


def test_without_a_desktop_or_a_connector_it_runs_without_a_screen() -> None:
    # No desktop, no /sys/class/drm here: the KMS/DRM path, with nothing to open yet.
    if Path("/sys/class/drm").is_dir():
        pytest.skip("this machine has DRM cards: the case is played on a fake sysfs instead")
    assert open_display(True) == "driver: none no display: no display card"


def test_an_invisible_driver_asked_for_by_name_is_fine() -> None:
    assert open_display(True, SDL_VIDEODRIVER="dummy") == "driver: dummy"
    assert open_display(True, SDL_VIDEODRIVER="offscreen") == "driver: offscreen"


def test_a_window_that_cannot_open_is_refused() -> None:
    out = open_display(False, DISPLAY=":99", SDL_VIDEODRIVER="no-such-video-driver")
    assert out.startswith("refused: no display: SDL cannot start its video ("), out
