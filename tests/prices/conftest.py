"""Fixtures for the price file tests (the files themselves: price_files.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.prices import PriceBook


@pytest.fixture(params=["file", "memory"])
def book(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PriceBook]:
    """The contract fixture: the same tests on prices.db in tmp_path and in memory."""
    b = PriceBook(tmp_path / "state" / "prices.db" if request.param == "file" else None)
    yield b
    b.close()
