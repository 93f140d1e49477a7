"""Small helpers shared across the test directories (fixtures live in each conftest)."""

from __future__ import annotations

__all__ = ["FakeClock"]


class FakeClock:
    """Wall-clock seconds that only move when a test says so (`advance`, or set `now`)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
