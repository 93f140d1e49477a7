"""Helpers shared by the store tests (importable by name: tests dirs are not packages)."""

from __future__ import annotations

from typing import Any


class FakeClock:
    """Wall-clock seconds that only move when a test says so."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def product(barcode: str, name: str = "Fish Sticks", updated_at: str = "2026-06-22 09:54:07"
            ) -> dict[str, Any]:
    return {
        "barcode": barcode,
        "product_meta": {"brand": "Example Brand", "product_name": name,
                         "updated_at": updated_at, "hechshers": [{"symbol": "OK"}]},
        "images": {"front": "https://example.invalid/api/v1/image/x.y"},
    }
