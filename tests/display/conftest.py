from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pytest

from kiosk.display.text import FontMeasure


@pytest.fixture(scope="session")
def measure() -> FontMeasure:
    return FontMeasure()
