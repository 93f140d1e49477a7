"""Test-wide set-up: no test may open a real window or sound device."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

# skip_policy: under CI=true a skipped test fails the run; pytester: its own tests.
pytest_plugins = ["tests.skip_policy", "pytester"]
