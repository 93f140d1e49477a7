"""What the in-process daemon tests share: the sandbox API they look up against."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiosk.sandbox import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rpm=10_000) as sb:
        yield sb
