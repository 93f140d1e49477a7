from __future__ import annotations

import pytest

from kiosk.display.text import FontMeasure


@pytest.fixture(scope="session")
def measure() -> FontMeasure:
    return FontMeasure()
