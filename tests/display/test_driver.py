"""Which screen the kiosk ends up on: never an invisible one it was not asked for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
    print("driver:", d.driver)
    d.close()
"""


def open_display(fullscreen: bool, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("SDL_VIDEODRIVER", "DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.run([sys.executable, "-c", OPEN.format(fullscreen=fullscreen)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120, check=True,
                          env={**clean, "PYTHONPATH": str(ROOT), **env})
    return proc.stdout.strip().splitlines()[-1]


def test_full_screen_refuses_the_fallback_that_shows_nothing() -> None:
    # No desktop, no /dev/dri here: SDL's own choice is its offscreen driver.
    out = open_display(True)
    assert out.startswith("refused: no screen to draw on: SDL found no usable video driver"), out
    assert "'offscreen'" in out and "SDL_VIDEODRIVER=kmsdrm" in out


def test_an_invisible_driver_asked_for_by_name_is_fine() -> None:
    assert open_display(True, SDL_VIDEODRIVER="dummy") == "driver: dummy"
    assert open_display(True, SDL_VIDEODRIVER="offscreen") == "driver: offscreen"
