from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pytest  # noqa: E402

from kiosk.display.text import FontMeasure  # noqa: E402


@pytest.fixture(scope="session")
def measure() -> FontMeasure:
    return FontMeasure()
